//! Red flags at sign-up: the facts of a customer (its record, the reference lists, the other
//! customers sharing its identifiers through the blind indexes, and those connecting from its
//! address through the ledger), put to the policy's rules whenever its records change. What
//! the rules made of it is kept with the customer (`Customer::detection`, and its clear
//! summary without personal values), and every decision on its accounts reads it.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use custos_core::detection::{Classify, Facts};
use custos_core::{Customer, CustomerId};

use crate::error::Result;
use crate::reference::ReferenceData;
use crate::service::App;

impl Classify for ReferenceData {
    fn disposable(&self, domain_ascii: &str) -> bool {
        ReferenceData::disposable(self, domain_ascii)
    }

    fn ip(&self, ip: IpAddr) -> (String, Vec<String>) {
        let c = ReferenceData::ip(self, ip);
        (c.kind, c.labels)
    }

    fn bin(&self, bin: &str) -> Option<(String, String, String)> {
        ReferenceData::bin(self, bin)
            .map(|b| (b.brand.clone(), b.funding.clone(), b.country.clone()))
    }
}

impl App {
    /// What the rules make of `c` now, kept on it (a reviewer's clearing stays). Nothing
    /// changes when the policy has no rules.
    pub(crate) async fn detect(&self, c: &mut Customer, now: DateTime<Utc>) -> Result<()> {
        if self.detector.is_empty() {
            c.detection = None;
            return Ok(());
        }
        let facts = self.facts(c, now).await?;
        let mut d = self.detector.customer(&facts, now);
        if let Some(old) = c.detection.take() {
            d.cleared = old.cleared.clone();
            // Unchanged facts keep their time: the record says when they last changed.
            if (old.score, &old.fired, &old.unevaluated, &old.signals)
                == (d.score, &d.fired, &d.unevaluated, &d.signals)
            {
                d.at = old.at;
            }
        }
        c.detection = Some(d);
        Ok(())
    }

    /// The facts of `c` the rules read now.
    pub(crate) async fn facts(&self, c: &Customer, now: DateTime<Utc>) -> Result<Facts<'static>> {
        let refs = self.reference_data().await?;
        let mut facts = Facts::of(c, &*refs);
        let p = &self.policy.detection;
        let burst = Duration::hours(i64::from(p.burst_hours));
        let in_burst = |t: DateTime<Utc>| (t - c.created_at).abs() <= burst;
        // Counts stop one past the cap: enough to know it is over.
        let cap = i64::from(p.share_cap) + 1;
        // Each other customer once a kind, however many of its values of that kind it shares
        // (two emails, one typed two ways).
        type Holders = std::collections::BTreeMap<CustomerId, DateTime<Utc>>;
        let mut others: std::collections::BTreeMap<String, Holders> = Default::default();
        for v in self.store.sharers(c, p.share_cap).await? {
            if let Some(f) = facts.abused.slot(&v.kind) {
                *f |= v.abused;
            }
            others.entry(v.kind).or_default().extend(v.others);
        }
        for (kind, who) in &others {
            if let Some(n) = facts.shared.slot(kind) {
                *n = (who.len() as i64).min(cap);
            }
            if let Some(n) = facts.burst.slot(kind) {
                *n = who.values().filter(|t| in_burst(**t)).count() as i64;
            }
        }
        if let Some((n, b, a)) = self.ip_sharers(c, now).await? {
            facts.shared.ip = n.min(cap);
            facts.burst.ip = b;
            facts.abused.ip = a;
        }
        Ok(facts)
    }

    /// The other customers whose accounts connected from the customer's newest address in
    /// the policy's window before now, through the ledger: how many (up to the share cap and
    /// one), how many of them came within the burst window, and whether any was closed for
    /// abuse. `None` without a ledger or an address.
    async fn ip_sharers(
        &self,
        c: &Customer,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, i64, bool)>> {
        let (Some(l), Some(o)) = (
            self.ledger.clone(),
            c.observations.iter().max_by_key(|o| o.at),
        ) else {
            return Ok(None);
        };
        let Ok(ip) = o.ip.parse::<IpAddr>() else {
            return Ok(None);
        };
        let p = &self.policy.detection;
        // The window around that connection (not around now: a detection run days later
        // asks about the same connection).
        let window = Duration::hours(i64::from(p.ip_link_hours));
        let (from, to) = (o.at - window, (o.at + window).min(now.max(o.at)));
        let Some(net) = custos_ledger::index::Net::parse(&ip.to_string()) else {
            return Ok(None);
        };
        let uses = tokio::task::spawn_blocking(move || {
            custos_ledger::query::net_accounts(&l.access, &net, from, to)
        })
        .await??;
        let burst = Duration::hours(i64::from(p.burst_hours));
        let mut seen: Vec<CustomerId> = vec![];
        let (mut b, mut abused) = (0, false);
        for u in uses {
            if seen.len() > p.share_cap as usize {
                break;
            }
            // The ledger keeps events of accounts custos does not know (any id the control
            // plane sent): they link nobody.
            let Ok(id) = custos_core::AccountId::parse(&u.account_id) else {
                continue;
            };
            let Ok(a) = self.store.get_account(&id).await else {
                continue;
            };
            if a.customer_id == c.id || seen.contains(&a.customer_id) {
                continue;
            }
            let Ok(s) = self.store.load_summary(&a.customer_id).await else {
                continue;
            };
            if (s.value.created_at - c.created_at).abs() <= burst {
                b += 1;
            }
            abused |= self.store.abuse_closure(&a.customer_id).await?.is_some();
            seen.push(a.customer_id);
        }
        Ok(Some((seen.len() as i64, b, abused)))
    }
}
