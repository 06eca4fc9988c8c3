//! What of an account closed for abuse a share may take once a second person approved: the
//! addresses it connected from and the SSH keys it used, from the ledger's 90 days before the
//! closure. Each becomes an indicator and the provider's sighting; their ids are kept with the
//! case's, so that sharing again makes new versions of the same objects.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use custos_core::abuse::{AbuseCase, Action};
use serde_json::Value;

use super::{AccountParts, INDICATOR_DAYS, category_word, stix};
use crate::error::{Error, Result};
use crate::service::{Actor, App};
use stix::Tlp;

/// How many of each (addresses, keys) a share takes at most: the busiest.
const MOST: usize = 50;

/// No use yet, first seen at `t`.
fn unused(t: DateTime<Utc>) -> stix::Uses {
    stix::Uses {
        count: 0,
        first_seen: t,
        last_seen: t,
    }
}

/// Counts a use at `t`.
fn seen(u: &mut stix::Uses, t: DateTime<Utc>) {
    u.count += 1;
    u.first_seen = u.first_seen.min(t);
    u.last_seen = u.last_seen.max(t);
}

/// The busiest `MOST` of `uses`, busiest first (ties in key order).
fn busiest<K: Ord>(uses: BTreeMap<K, stix::Uses>) -> Vec<(K, stix::Uses)> {
    let mut v: Vec<_> = uses.into_iter().collect();
    v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    v.truncate(MOST);
    v
}

impl App {
    /// The objects of the addresses case `c`'s account connected from and of the SSH keys it
    /// used (as `parts` says) in the 90 days before it was closed for abuse: the ledger, read
    /// for the share and audited; at most 50 of each, busiest first; their ids kept with the
    /// case's.
    pub(super) async fn account_objects(
        &self,
        actor: &Actor,
        c: &AbuseCase,
        tlp: Tlp,
        parts: AccountParts,
    ) -> Result<Vec<Value>> {
        let Some(account) = &c.account_id else {
            return Ok(vec![]);
        };
        let closed = c
            .actions
            .iter()
            .filter(|t| t.action == Action::CloseForAbuse)
            .map(|t| t.at)
            .max()
            .unwrap_or(c.opened_at);
        let what = match (parts.addresses, parts.ssh_keys) {
            (true, true) => "access addresses and SSH keys",
            (false, true) => "SSH keys",
            _ => "access addresses",
        };
        let events = self
            .account_events(
                actor,
                &format!("sharing the {what} of abuse case {}", c.id),
                account.as_str(),
                crate::ledger::EventsQuery {
                    from: Some(closed - chrono::Duration::days(90)),
                    to: Some(closed),
                    limit: 10_000,
                    proof: None,
                    starting_after: None,
                },
            )
            .await?;
        let mut addresses: BTreeMap<IpAddr, stix::Uses> = BTreeMap::new();
        let mut keys: BTreeMap<String, stix::Uses> = BTreeMap::new();
        for f in &events.events {
            let e = &f.event;
            if parts.addresses {
                seen(addresses.entry(e.ip).or_insert(unused(e.time)), e.time);
            }
            if let (true, Some(k)) = (parts.ssh_keys, &e.ssh_key_fingerprint) {
                seen(keys.entry(k.clone()).or_insert(unused(e.time)), e.time);
            }
        }
        let chosen: Vec<(stix::AccountPart, stix::Uses)> = busiest(addresses)
            .into_iter()
            .map(|(ip, u)| (stix::AccountPart::Address(ip), u))
            .chain(
                busiest(keys)
                    .into_iter()
                    .map(|(k, u)| (stix::AccountPart::SshKey(k), u)),
            )
            .collect();
        // Their ids are made once and kept with the case's.
        let record = format!("stix_ids_{}", c.id);
        let ids = {
            let _once = self.once.lock().await;
            let mut ids: stix::CaseIds = match self.store.compliance_record(&record).await {
                Ok(r) => serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("a case's STIX ids: {e}")))?,
                Err(e) => return Err(e.into()),
            };
            for (part, _) in &chosen {
                let fresh = || (stix::new_id("indicator"), stix::new_id("sighting"));
                match part {
                    stix::AccountPart::Address(ip) => {
                        ids.addresses.entry(ip.to_string()).or_insert_with(fresh);
                    }
                    stix::AccountPart::SshKey(k) => {
                        ids.ssh_keys.entry(k.clone()).or_insert_with(fresh);
                    }
                }
            }
            self.keep_case_ids(&record, &c.id, &ids).await?;
            ids
        };
        let identity = self.sharing_identity(actor).await?;
        let category = category_word(c);
        let changed = closed.max(ids.tlp_at.unwrap_or(ids.created));
        let mut out = vec![];
        if chosen
            .iter()
            .any(|(p, _)| matches!(p, stix::AccountPart::SshKey(_)))
        {
            out.extend(stix::definitions());
        }
        for (part, uses) in &chosen {
            let pair = match part {
                stix::AccountPart::Address(ip) => ids.addresses.get(&ip.to_string()),
                stix::AccountPart::SshKey(k) => ids.ssh_keys.get(k),
            };
            let Some(pair) = pair else {
                continue;
            };
            out.extend(stix::account_part_objects(
                part,
                uses,
                pair,
                &category,
                INDICATOR_DAYS,
                (&identity.id, tlp, ids.created, changed),
            ));
        }
        Ok(out)
    }
}
