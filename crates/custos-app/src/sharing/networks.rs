//! Networks several shared reports fall in. Reports name single addresses; when the reports
//! shared into one collection name [`ADDRESSES`] or more addresses of one /24 (IPv6: one /48),
//! the network is shared too, as an indicator of any address in it, with the provider's
//! sighting (how many reports, the first and the last). A report that joins makes a new
//! version; when dismissals leave fewer addresses than make a network (a dismissed case is
//! shared again), the network's indicator and sighting are revoked, as last published. A
//! revoked object takes no more versions (STIX 2.1, 3.6): a network whole again later is
//! shared under new ids.
//!
//! Each collection keeps its networks' members (the report's case, address, time, category
//! and TLP level) in a record of its own, `stix_nets_{collection}`: addresses of the actor's
//! infrastructure only, which the collection holds already.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use custos_core::abuse::{AbuseCase, Action};
use custos_store::{ComplianceRecord, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{INDICATOR_DAYS, category_word, stix};
use crate::error::{Error, Result};
use crate::service::{Actor, App};
use stix::Tlp;

/// How many addresses of one network, reported and shared, make the network worth sharing.
pub const ADDRESSES: usize = 3;

/// A shared report in a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Member {
    ip: IpAddr,
    at: DateTime<Utc>,
    category: String,
    tlp: Tlp,
}

/// What a network's objects said when last published: a revocation says it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Published {
    addresses: u32,
    reports: u32,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    category: String,
    /// The most restrictive level it was ever published under: no later version goes under
    /// a laxer one.
    tlp: Tlp,
}

/// A network of a collection: its objects' ids and its members, by case.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Network {
    indicator: String,
    sighting: String,
    created: DateTime<Utc>,
    changed: DateTime<Utc>,
    /// What its objects last said, once they were shared (so that falling under
    /// [`ADDRESSES`] revokes them).
    #[serde(default)]
    published: Option<Published>,
    /// Its objects are revoked: they take no more versions.
    #[serde(default)]
    revoked: bool,
    members: BTreeMap<String, Member>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Networks {
    networks: BTreeMap<String, Network>,
}

impl Network {
    fn addresses(&self) -> usize {
        let mut ips: Vec<IpAddr> = self.members.values().map(|m| m.ip).collect();
        ips.sort();
        ips.dedup();
        ips.len()
    }

    /// What its objects say now: from its members, under the most restrictive level of theirs
    /// and of any it was published under before.
    fn now_published(&self) -> Published {
        let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            *categories.entry(m.category.as_str()).or_default() += 1;
        }
        let category = categories
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(c, _)| (*c).to_owned())
            .unwrap_or_else(|| "other".into());
        let at = |f: fn(DateTime<Utc>, DateTime<Utc>) -> DateTime<Utc>| {
            self.members
                .values()
                .map(|m| m.at)
                .reduce(f)
                .unwrap_or(self.created)
        };
        let tlp = self
            .members
            .values()
            .map(|m| m.tlp)
            .chain(self.published.as_ref().map(|p| p.tlp))
            .max()
            .unwrap_or(Tlp::Amber);
        Published {
            addresses: u32::try_from(self.addresses()).unwrap_or(u32::MAX),
            reports: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            first_seen: at(DateTime::min),
            last_seen: at(DateTime::max),
            category,
            tlp,
        }
    }

    /// Its objects' facts from what they say (`p`).
    fn facts(&self, network: &str, p: &Published) -> stix::NetworkFacts {
        stix::NetworkFacts {
            network: network.to_owned(),
            ids: (self.indicator.clone(), self.sighting.clone()),
            created: self.created,
            changed: self.changed,
            addresses: p.addresses,
            reports: p.reports,
            first_seen: p.first_seen,
            last_seen: p.last_seen,
            category: p.category.clone(),
            revoked: self.revoked,
        }
    }
}

/// A version of a network's objects saying `p`, with its marking.
fn network_version(identity: &str, network: &str, net: &Network, p: &Published) -> Vec<Value> {
    let mut out = vec![p.tlp.marking()];
    out.extend(stix::network_objects(
        &net.facts(network, p),
        identity,
        p.tlp,
        INDICATOR_DAYS,
    ));
    out
}

impl App {
    /// The objects of the network case `c`'s address falls in, shared into collection `col`
    /// under `tlp`: the case joins the network's members (a dismissed case leaves them), and
    /// the network's objects come when it has [`ADDRESSES`] addresses or more (revoked, when it
    /// had and has no longer). None for a case without an address.
    pub(super) async fn network_objects(
        &self,
        actor: &Actor,
        col: &str,
        c: &AbuseCase,
        tlp: Tlp,
    ) -> Result<Vec<Value>> {
        let Some(ip) = self
            .case_evidence(c)
            .await?
            .and_then(|e| e.ip)
            .and_then(|i| i.parse::<IpAddr>().ok())
        else {
            return Ok(vec![]);
        };
        let network = stix::network_of(ip);
        let record = format!("stix_nets_{col}");
        // Made before the lock below, which it takes too.
        let identity = self.sharing_identity(actor).await?;
        let _once = self.once.lock().await;
        let now = self.now();
        let mut all: Networks = match self.store.compliance_record(&record).await {
            Ok(r) => serde_json::from_value(r.body)
                .map_err(|e| Error::Internal(format!("a collection's networks: {e}")))?,
            Err(StoreError::NotFound(_)) => Networks::default(),
            Err(e) => return Err(e.into()),
        };
        let net = all
            .networks
            .entry(network.clone())
            .or_insert_with(|| Network {
                indicator: stix::new_id("indicator"),
                sighting: stix::new_id("sighting"),
                created: now,
                changed: now,
                published: None,
                revoked: false,
                members: BTreeMap::new(),
            });
        let before = net.members.get(&c.id).cloned();
        let after = (!c.actions.iter().any(|t| t.action == Action::Dismiss)).then(|| Member {
            ip,
            at: c.occurred_at,
            category: category_word(c),
            tlp,
        });
        let changed = before != after;
        match after {
            Some(m) => net.members.insert(c.id.clone(), m),
            None => net.members.remove(&c.id),
        };
        if changed {
            net.changed = now;
        }
        let whole = net.addresses() >= ADDRESSES;
        if whole && net.revoked {
            // Whole again after it was revoked: a new network, under new ids.
            net.indicator = stix::new_id("indicator");
            net.sighting = stix::new_id("sighting");
            net.created = now;
            net.changed = now;
            net.published = None;
            net.revoked = false;
        }
        let out = match (&net.published, whole, net.revoked) {
            (_, true, _) => {
                let p = net.now_published();
                let objects = network_version(&identity.id, &network, net, &p);
                net.published = Some(p);
                objects
            }
            // Fewer than make a network now: the last version again, revoked, once.
            (Some(p), false, false) => {
                let p = p.clone();
                net.revoked = true;
                network_version(&identity.id, &network, net, &p)
            }
            _ => vec![],
        };
        if changed {
            if all
                .networks
                .get(&network)
                .is_some_and(|n| n.members.is_empty() && n.published.is_none())
            {
                all.networks.remove(&network);
            }
            self.store
                .put_compliance_record(
                    &ComplianceRecord {
                        id: record,
                        kind: "stix_networks".into(),
                        subject: Some(col.to_owned()),
                        created_at: now,
                        due_at: None,
                        closed_at: None,
                        body: serde_json::to_value(&all).map_err(|e| {
                            Error::Internal(format!("a collection's networks: {e}"))
                        })?,
                    },
                    &[],
                )
                .await?;
        }
        Ok(out)
    }
}
