//! Linked customers: the connected group of a customer through the values they share (an
//! email in its provider-aware form, a phone, a document or national id, a card fingerprint,
//! an IBAN, a wallet), found through the blind indexes, and through the addresses their
//! accounts connected from within `detection.ip_link_hours` of each other, found through the
//! ledger: never by decrypting. A value more other customers share than the policy's
//! `detection.share_cap` (a corporate mail domain's shared inbox, a corporate NAT, a popular
//! VPN's exit) is reported as widely shared, not followed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use custos_core::{AccountId, CustomerId};
use custos_store::LinkEdge;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::service::{Actor, App};

/// The most customers a group is followed to.
pub const MAX_GROUP: usize = 500;
/// How far back a customer's own connections are read for links through an address.
pub const IP_LOOKBACK_DAYS: i64 = 90;
/// The most connections of one account read for links through an address (its newest).
const IP_EVENTS: usize = 5_000;
/// The most addresses of one customer followed (its most recently used).
const IP_ADDRESSES: usize = 50;

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
    /// `email`, `phone`, `national_id`, `card_fingerprint`, `iban`, `wallet`, or `ip` (their
    /// accounts connected from one address within `detection.ip_link_hours` of each other).
    pub kind: String,
    /// When the link appeared: when the later of the two customers came (for `ip`, the first
    /// connection that linked them).
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
    /// `false` when the group was not followed whole: it is larger than 500 customers, or a
    /// member's connections were more than were read (its newest 5,000 an account, its 50
    /// most recently used addresses).
    pub complete: bool,
    /// Whether links through connecting addresses were followed: `false` where the process
    /// answering keeps no ledger (a command beside the running server; ask the server).
    pub addresses_followed: bool,
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
                let mut edges = self.store().link_edges(batch, cap).await?;
                for c in batch {
                    let (more, whole) = self.ip_edges(c, cap).await?;
                    edges.extend(more);
                    complete &= whole;
                }
                for e in edges {
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
                    // The earliest of the ways the pair shares the kind.
                    let since = links.entry((a, b, e.kind)).or_insert(e.since);
                    if let Some(t) = e.since {
                        *since = Some(since.map_or(t, |s| s.min(t)));
                    }
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
            addresses_followed: self.ledger.is_some(),
        })
    }

    /// The customers linked to `customer` through the addresses its accounts connected from in
    /// the last [`IP_LOOKBACK_DAYS`] days: any other customer whose account used one of them
    /// within `detection.ip_link_hours` of one of its connections. An address more other
    /// customers used than the cap is reported as widely shared. None without a ledger. With
    /// whether its connections were read whole.
    async fn ip_edges(&self, customer: &CustomerId, cap: u32) -> Result<(Vec<LinkEdge>, bool)> {
        let Some(l) = self.ledger.clone() else {
            return Ok((vec![], true));
        };
        let mine = self.store().accounts_of(customer).await?;
        if mine.is_empty() {
            return Ok((vec![], true));
        }
        let own: Vec<String> = mine.iter().map(|a| a.id.as_str().to_owned()).collect();
        let now = self.now();
        let window = Duration::hours(i64::from(self.policy.detection.ip_link_hours));
        let since = now - Duration::days(IP_LOOKBACK_DAYS);
        // Every address the accounts used, with when; then who else used each within the
        // window of those times (one query a run of connections closer than twice the window).
        let (uses, whole) = tokio::task::spawn_blocking(move || {
            let mut at: HashMap<IpAddr, Vec<DateTime<Utc>>> = HashMap::new();
            let mut whole = true;
            for id in &own {
                // The whole lookback when it holds no more than the account's share (most
                // accounts); else the newest first: the last day, week, month, then the rest,
                // until the share is read.
                let (found, more) = custos_ledger::query::account_events_in_time(
                    &l.access, id, since, now, None, IP_EVENTS,
                )?;
                if !more {
                    for f in found {
                        at.entry(f.event.ip).or_default().push(f.event.time);
                    }
                    continue;
                }
                let mut read = 0;
                let mut to = now;
                for days in [1, 7, 30, IP_LOOKBACK_DAYS] {
                    let from = (now - Duration::days(days)).max(since);
                    let (found, more) = custos_ledger::query::account_events_in_time(
                        &l.access,
                        id,
                        from,
                        to,
                        None,
                        IP_EVENTS - read,
                    )?;
                    read += found.len();
                    for f in found {
                        at.entry(f.event.ip).or_default().push(f.event.time);
                    }
                    if more {
                        whole = false;
                        break;
                    }
                    // The next window ends where this one began (a connection at that very
                    // instant was read in this one).
                    to = from - Duration::nanoseconds(1);
                }
            }
            let mut busiest: Vec<(IpAddr, Vec<DateTime<Utc>>)> = at.into_iter().collect();
            // The most recently used first, then the busiest.
            busiest.sort_by_key(|(ip, t)| {
                let newest = t.iter().max().copied();
                (std::cmp::Reverse(newest), std::cmp::Reverse(t.len()), *ip)
            });
            whole &= busiest.len() <= IP_ADDRESSES;
            busiest.truncate(IP_ADDRESSES);
            let mut out: Vec<(IpAddr, String, DateTime<Utc>)> = vec![];
            for (ip, mut times) in busiest {
                let Some(net) = custos_ledger::index::Net::parse(&ip.to_string()) else {
                    continue;
                };
                times.sort();
                let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = vec![];
                for t in times {
                    match runs.last_mut() {
                        Some((_, hi)) if t - *hi <= window * 2 => *hi = t,
                        _ => runs.push((t, t)),
                    }
                }
                for (lo, hi) in runs {
                    for u in custos_ledger::query::net_accounts(
                        &l.access,
                        &net,
                        lo - window,
                        hi + window,
                    )? {
                        if !own.contains(&u.account_id) {
                            out.push((ip, u.account_id, u.first_seen.max(lo)));
                        }
                    }
                }
            }
            Ok::<_, custos_ledger::LedgerError>((out, whole))
        })
        .await??;
        // Accounts to customers (accounts custos does not know link nobody), an address at a
        // time, no further than one customer over the cap: that address is widely shared.
        let mut by_ip: BTreeMap<IpAddr, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
        for (ip, account, at) in uses {
            by_ip.entry(ip).or_default().push((account, at));
        }
        let mut owner: HashMap<String, Option<CustomerId>> = HashMap::new();
        let mut linked: Vec<BTreeMap<CustomerId, DateTime<Utc>>> = vec![];
        for (_, accounts) in by_ip {
            let mut others: BTreeMap<CustomerId, DateTime<Utc>> = BTreeMap::new();
            for (account, at) in accounts {
                if others.len() > cap as usize {
                    break;
                }
                if !owner.contains_key(&account) {
                    let c = match AccountId::parse(&account) {
                        Ok(id) => match self.store().get_account(&id).await {
                            Ok(a) => Some(a),
                            Err(custos_store::StoreError::NotFound(_)) => None,
                            Err(e) => return Err(e.into()),
                        },
                        Err(_) => None,
                    };
                    owner.insert(account.clone(), c.map(|a| a.customer_id));
                }
                let Some(Some(c)) = owner.get(&account) else {
                    continue;
                };
                if c == customer {
                    continue;
                }
                let first = others.entry(c.clone()).or_insert(at);
                *first = (*first).min(at);
            }
            linked.push(others);
        }
        let mut edges = vec![];
        for others in linked {
            if others.len() > cap as usize {
                edges.push(LinkEdge {
                    from: customer.clone(),
                    kind: "ip".into(),
                    to: None,
                    since: None,
                    widely_shared: true,
                });
                continue;
            }
            for (c, at) in others {
                edges.push(LinkEdge {
                    from: customer.clone(),
                    kind: "ip".into(),
                    to: Some(c),
                    since: Some(at),
                    widely_shared: false,
                });
            }
        }
        Ok((edges, whole))
    }
}
