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

/// How often, first and last, something was used.
type Uses = (u32, DateTime<Utc>, DateTime<Utc>);

/// Counts a use at `t` into `(count, first, last)`.
fn seen(u: &mut Uses, t: DateTime<Utc>) {
    u.0 += 1;
    u.1 = u.1.min(t);
    u.2 = u.2.max(t);
}

/// The busiest `MOST` of `uses`, busiest first (ties in key order).
fn busiest<K: Ord + Clone>(uses: BTreeMap<K, Uses>) -> Vec<(K, Uses)> {
    let mut v: Vec<_> = uses.into_iter().collect();
    v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
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
        let mut addresses: BTreeMap<IpAddr, (u32, DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        let mut keys: BTreeMap<String, (u32, DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for f in &events.events {
            let e = &f.event;
            if parts.addresses {
                seen(addresses.entry(e.ip).or_insert((0, e.time, e.time)), e.time);
            }
            if let (true, Some(k)) = (parts.ssh_keys, &e.ssh_key_fingerprint) {
                seen(keys.entry(k.clone()).or_insert((0, e.time, e.time)), e.time);
            }
        }
        let addresses = busiest(addresses);
        let keys = busiest(keys);
        // Their ids are made once and kept with the case's.
        let record = format!("stix_ids_{}", c.id);
        let ids = {
            let _once = self.once.lock().await;
            let mut ids: stix::CaseIds = match self.store.compliance_record(&record).await {
                Ok(r) => serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("a case's STIX ids: {e}")))?,
                Err(e) => return Err(e.into()),
            };
            for (ip, _) in &addresses {
                ids.addresses
                    .entry(ip.to_string())
                    .or_insert_with(|| (stix::new_id("indicator"), stix::new_id("sighting")));
            }
            for (k, _) in &keys {
                ids.ssh_keys
                    .entry(k.clone())
                    .or_insert_with(|| (stix::new_id("indicator"), stix::new_id("sighting")));
            }
            self.keep_case_ids(&record, &c.id, &ids).await?;
            ids
        };
        let identity = self.sharing_identity(actor).await?;
        let category = category_word(c);
        let changed = closed.max(ids.tlp_at.unwrap_or(ids.created));
        let mut out = vec![];
        for (ip, (count, first_seen, last_seen)) in addresses {
            let Some(pair) = ids.addresses.get(&ip.to_string()) else {
                continue;
            };
            out.extend(stix::access_address_objects(
                &stix::AddressUse {
                    ip,
                    count,
                    first_seen,
                    last_seen,
                },
                pair,
                &category,
                INDICATOR_DAYS,
                (&identity.id, tlp, ids.created, changed),
            ));
        }
        if !keys.is_empty() {
            out.extend(stix::definitions());
        }
        for (fingerprint, (count, first_seen, last_seen)) in keys {
            let Some(pair) = ids.ssh_keys.get(&fingerprint) else {
                continue;
            };
            out.extend(stix::ssh_key_objects(
                &stix::KeyUse {
                    fingerprint,
                    count,
                    first_seen,
                    last_seen,
                },
                pair,
                &category,
                INDICATOR_DAYS,
                (&identity.id, tlp, ids.created, changed),
            ));
        }
        Ok(out)
    }
}
