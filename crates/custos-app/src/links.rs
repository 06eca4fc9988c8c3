//! Linked customers: the connected group of a customer through the values they share (an
//! email in its provider-aware form, a phone, a document or national id, a card fingerprint,
//! an IBAN, a wallet), found through the blind indexes, never by decrypting. A value more
//! other customers share than the policy's `detection.share_cap` (a corporate mail domain's shared
//! inbox, a family's card) is reported as widely shared, not followed.

use std::collections::{BTreeMap, BTreeSet};

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

/// A value of a member that more other customers share than the cap: reported, not followed.
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
        let purpose = custos_core::text::free_text("purpose", purpose)?;
        if purpose.chars().count() > 200 || purpose.chars().any(char::is_control) {
            return Err(crate::Error::invalid(
                "purpose",
                "must be one line of at most 200 characters",
            ));
        }
        self.store().load_summary(id).await?;
        self.audit(actor, Some(&purpose), "read_customer_links", id.as_str())
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
        // One level at a time, so that a customer's distance is its shortest: every customer
        // of a level is read (in batches) before any of the next.
        let mut level: Vec<CustomerId> = vec![id.clone()];
        let mut complete = true;
        let mut depth = 0u32;
        while !level.is_empty() {
            depth += 1;
            let mut next = vec![];
            for batch in level.chunks(100) {
                for e in self.store().link_edges(batch, cap).await? {
                    let Some(to) = e.to else {
                        if e.widely_shared {
                            wide.insert((e.from, e.kind));
                        }
                        continue;
                    };
                    if !hops.contains_key(&to) {
                        if hops.len() > MAX_GROUP {
                            complete = false;
                            continue;
                        }
                        hops.insert(to.clone(), depth);
                        order.push(to.clone());
                        next.push(to.clone());
                    }
                    let (a, b) = if e.from < to {
                        (e.from, to)
                    } else {
                        (to, e.from)
                    };
                    links.entry((a, b, e.kind)).or_insert(e.since);
                }
            }
            level = next;
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
