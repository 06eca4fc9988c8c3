//! Networks several shared reports fall in. Reports name single addresses; when the reports
//! shared into one collection name [`ADDRESSES`] or more addresses of one /24 (IPv6: one /48),
//! the network is shared too, as an indicator of any address in it, with the provider's
//! sighting (how many reports, the first and the last). A report that joins makes a new
//! version; when dismissals leave fewer addresses than make a network, the network's indicator
//! and sighting are revoked.
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

/// A network of a collection: its objects' ids and its members, by case.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Network {
    indicator: String,
    sighting: String,
    created: DateTime<Utc>,
    changed: DateTime<Utc>,
    /// Whether its objects were ever shared (so that falling under [`ADDRESSES`] revokes them).
    shared: bool,
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

    /// The facts its objects are made of, and the TLP level they go under: the most
    /// restrictive of its reports'.
    fn facts(&self, network: &str, revoked: bool) -> (stix::NetworkFacts, Tlp) {
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
            .max()
            .unwrap_or(Tlp::Amber);
        (
            stix::NetworkFacts {
                network: network.to_owned(),
                ids: (self.indicator.clone(), self.sighting.clone()),
                created: self.created,
                changed: self.changed,
                addresses: u32::try_from(self.addresses()).unwrap_or(u32::MAX),
                reports: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
                first_seen: at(DateTime::min),
                last_seen: at(DateTime::max),
                category,
                revoked,
            },
            tlp,
        )
    }
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
                shared: false,
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
        let out = if whole || net.shared {
            net.shared = true;
            let (facts, level) = net.facts(&network, !whole);
            let mut out = vec![level.marking()];
            out.extend(stix::network_objects(
                &facts,
                &identity.id,
                level,
                INDICATOR_DAYS,
            ));
            out
        } else {
            vec![]
        };
        if changed {
            if all
                .networks
                .get(&network)
                .is_some_and(|n| n.members.is_empty() && !n.shared)
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
