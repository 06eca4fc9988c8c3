//! Linked customers: the connected group of a customer through the values they share (an
//! email in its provider-aware form, a phone, a document or national id, a card fingerprint,
//! an IBAN, a wallet), found through the blind indexes, never by decrypting. A value more
//! customers share than the policy's `detection.share_cap` (a corporate mail domain's shared
//! inbox, a family's card) is reported as widely shared, not followed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use custos_core::CustomerId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::service::{Actor, App};

/// The most customers a group is followed to.
pub const MAX_GROUP: usize = 500;

/// A customer of the group, and how many links away from the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Member {
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    pub hops: u32,
}

/// Two customers sharing a kind of value: the kind, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Link {
    #[schema(value_type = String)]
    pub a: CustomerId,
    #[schema(value_type = String)]
    pub b: CustomerId,
    /// `email`, `phone`, `national_id`, `card_fingerprint`, `iban` or `wallet`.
    pub kind: String,
    /// When the link appeared: when the later of the two customers came.
    pub since: Option<DateTime<Utc>>,
}

/// A value of a member that more customers share than the cap: reported, not followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WidelyShared {
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    pub kind: String,
}

/// A customer's connected group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinkGroup {
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    /// Every customer of the group but the one asked about, nearest first.
    pub members: Vec<Member>,
    pub links: Vec<Link>,
    pub widely_shared: Vec<WidelyShared>,
    /// How many other customers a value may be shared with and still link them.
    pub share_cap: u32,
    /// `false` when the group is larger than 500 customers and was followed no further.
    pub complete: bool,
}

impl App {
    /// The connected group of `id` through shared values. It reveals links between people,
    /// so it is a read of personal data: audited, with a purpose, before anything is read.
    pub async fn customer_links(
        &self,
        actor: &Actor,
        purpose: &str,
        id: &CustomerId,
    ) -> Result<LinkGroup> {
        self.store().load_summary(id).await?;
        self.audit(actor, Some(purpose), "read_customer_links", id.as_str())
            .await?;
        self.link_group(id).await
    }

    /// [`App::customer_links`] without the audit, for the operations that record their own.
    pub(crate) async fn link_group(&self, id: &CustomerId) -> Result<LinkGroup> {
        let cap = self.policy.detection.share_cap;
        let mut hops: BTreeMap<CustomerId, u32> = BTreeMap::from([(id.clone(), 0)]);
        let mut order: Vec<CustomerId> = vec![];
        let mut links: BTreeMap<(CustomerId, CustomerId, String), Option<DateTime<Utc>>> =
            BTreeMap::new();
        let mut wide: BTreeSet<(CustomerId, String)> = BTreeSet::new();
        let mut frontier: VecDeque<CustomerId> = VecDeque::from([id.clone()]);
        let mut complete = true;
        while !frontier.is_empty() {
            let batch: Vec<CustomerId> = frontier.drain(..frontier.len().min(100)).collect();
            for e in self.store().link_edges(&batch, cap).await? {
                let Some(to) = e.to else {
                    if e.widely_shared {
                        wide.insert((e.from, e.kind));
                    }
                    continue;
                };
                let (a, b) = if e.from < to {
                    (e.from.clone(), to.clone())
                } else {
                    (to.clone(), e.from.clone())
                };
                if !hops.contains_key(&to) {
                    if hops.len() > MAX_GROUP {
                        complete = false;
                        continue;
                    }
                    let h = hops.get(&e.from).copied().unwrap_or(0) + 1;
                    hops.insert(to.clone(), h);
                    order.push(to.clone());
                    frontier.push_back(to);
                }
                links.entry((a, b, e.kind)).or_insert(e.since);
            }
        }
        let mut members: Vec<Member> = order
            .into_iter()
            .map(|c| Member {
                hops: hops[&c],
                customer_id: c,
            })
            .collect();
        members.sort_by(|x, y| (x.hops, &x.customer_id).cmp(&(y.hops, &y.customer_id)));
        Ok(LinkGroup {
            customer_id: id.clone(),
            members,
            links: links
                .into_iter()
                .map(|((a, b, kind), since)| Link { a, b, kind, since })
                .collect(),
            widely_shared: wide
                .into_iter()
                .map(|(customer_id, kind)| WidelyShared { customer_id, kind })
                .collect(),
            share_cap: cap,
            complete,
        })
    }
}
