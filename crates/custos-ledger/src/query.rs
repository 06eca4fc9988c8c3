//! Questions investigators ask of the access log: what did this account do, and who used this
//! address; any answer can carry inclusion proofs against a checkpoint.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::Event;
use crate::index::{Net, Probe};
use crate::log::{LedgerError, Log};

/// One event found, with its place in the log.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub index: u64,
    #[serde(flatten)]
    pub event: Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// An inclusion proof of one entry in the tree of `tree_size` entries (RFC 6962 audit path,
/// base64 hashes).
#[derive(Debug, Clone, Serialize)]
pub struct Proof {
    pub tree_size: u64,
    pub leaf_hash: String,
    pub hashes: Vec<String>,
}

fn b64(h: &tlog_tiles::Hash) -> String {
    base64::engine::general_purpose::STANDARD.encode(h.0)
}

/// The inclusion proof of entry `index` in the tree of `tree_size`.
pub fn prove(log: &Log, index: u64, tree_size: u64) -> Result<Proof, LedgerError> {
    Ok(Proof {
        tree_size,
        leaf_hash: b64(&log.leaf_hash(index)?),
        hashes: log
            .inclusion_proof(index, tree_size)?
            .iter()
            .map(b64)
            .collect(),
    })
}

/// The events of `account` between `from` and `to` (inclusive), in log order, at most
/// `limit`; and whether more were left out.
pub fn account_events(
    log: &Log,
    account: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Result<(Vec<Found>, bool), LedgerError> {
    let mut out = vec![];
    let mut more = false;
    log.scan(
        from.timestamp(),
        to.timestamp(),
        &Probe::Account(account.to_owned()),
        |index, event| {
            if event.account_id != account || event.time < from || event.time > to {
                return true;
            }
            if out.len() == limit {
                more = true;
                return false;
            }
            out.push(Found {
                index,
                event,
                proof: None,
            });
            true
        },
    )?;
    Ok((out, more))
}

/// How an account used an address or network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountUse {
    pub account_id: String,
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The first and last entries, to prove.
    pub first_index: u64,
    pub last_index: u64,
}

/// The accounts that used `net` between `from` and `to`, with counts and first and last seen,
/// busiest first.
pub fn net_accounts(
    log: &Log,
    net: &Net,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AccountUse>, LedgerError> {
    let mut by: BTreeMap<String, AccountUse> = BTreeMap::new();
    log.scan(
        from.timestamp(),
        to.timestamp(),
        &Probe::net(net),
        |index, e| {
            if !net.contains(e.ip) || e.time < from || e.time > to {
                return true;
            }
            let u = by.entry(e.account_id.clone()).or_insert(AccountUse {
                account_id: e.account_id.clone(),
                count: 0,
                first_seen: e.time,
                last_seen: e.time,
                first_index: index,
                last_index: index,
            });
            u.count += 1;
            if e.time < u.first_seen {
                u.first_seen = e.time;
                u.first_index = index;
            }
            if e.time >= u.last_seen {
                u.last_seen = e.time;
                u.last_index = index;
            }
            true
        },
    )?;
    let mut v: Vec<AccountUse> = by.into_values().collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.account_id.cmp(&b.account_id)));
    Ok(v)
}
