//! Questions investigators ask of the access log: what did this account do, and who used this
//! address; any answer can carry inclusion proofs against a checkpoint.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{Event, peek};
use crate::index::{Net, Segment, T, View};
use crate::log::{LedgerError, Log, State, TILE, split_bundle};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

fn t(d: DateTime<Utc>) -> T {
    (d.timestamp(), d.timestamp_subsec_nanos())
}

fn time_of(t: T) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0, t.1).unwrap_or_default()
}

/// Calls `f` with every entry the index does not hold yet: the complete bundles from
/// `from_bundle` on, then the incomplete one.
fn scan_rest(
    log: &Log,
    st: &State,
    from_bundle: u64,
    mut f: impl FnMut(u64, &[u8]),
) -> Result<(), LedgerError> {
    for k in from_bundle..=st.complete() {
        if k == st.complete() && st.tail.is_empty() {
            break;
        }
        let data = log.store().bundle_at(st, k)?;
        for (j, leaf) in split_bundle(&data).enumerate() {
            f(k * TILE + j as u64, leaf);
        }
    }
    Ok(())
}

/// A segment whose blocks cannot be read (damaged after it was opened): its bundles are read
/// instead, so that the answer is whole, and the segment is rebuilt from them for the next
/// question (if that fails, the next question reads the bundles again).
fn scan_segment(log: &Log, s: &Segment, mut f: impl FnMut(u64, &[u8])) -> Result<(), LedgerError> {
    let Some(ix) = log.index() else {
        return Ok(());
    };
    let sb = ix.segment_bundles();
    let first = s.first / TILE;
    for k in first..first + sb {
        let data = log.store().read_bundle(k)?;
        for (j, leaf) in split_bundle(&data).enumerate() {
            f(k * TILE + j as u64, leaf);
        }
    }
    let _building = ix.hold();
    let _ = ix.rebuild(&(first..first + sb).collect());
    Ok(())
}

/// What the index holds, the first bundle it does not, and the state of the log (taken after
/// the view: it holds all the view holds).
fn view(log: &Log) -> (View, u64, Arc<State>) {
    let (v, end) = match log.index() {
        Some(ix) => {
            let v = ix.view();
            let end = v.end(ix.segment_bundles());
            (v, end)
        }
        None => (View::default(), 0),
    };
    let st = log.store().state();
    (v, end, st)
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
    let mut hits = account_hits(log, account, from, to)?;
    // In log order already but for late arrivals: a stable sort finds the runs.
    hits.sort_by_key(|h| h.0);
    Ok(page(hits, limit))
}

/// Every event of an account between `from` and `to`, with its index, in no set order.
fn account_hits(
    log: &Log,
    account: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(u64, Event)>, LedgerError> {
    let (from, to) = (t(from), t(to));
    let acc = account.as_bytes();
    let mut hits: Vec<(u64, Event)> = vec![];
    let hit = |hits: &mut Vec<(u64, Event)>, i: u64, leaf: &[u8]| {
        if let Ok(e) = Event::parse(leaf) {
            hits.push((i, e));
        }
    };
    let matching =
        |leaf: &[u8]| peek(leaf).is_some_and(|(a, tm, _)| a == acc && tm >= from && tm <= to);
    let (v, end, st) = view(log);
    let segments = v.segments_within(from, to);
    for s in &segments {
        s.prefetch_account(acc, from, to);
    }
    for s in &segments {
        let before = hits.len();
        if s.account_rows(acc, from, to, &mut |i, leaf| hit(&mut hits, i, leaf))
            .is_err()
        {
            hits.truncate(before);
            scan_segment(log, s, |i, leaf| {
                if matching(leaf) {
                    hit(&mut hits, i, leaf);
                }
            })?;
        }
    }
    v.pending_account_rows(acc, from, to, &mut |i, leaf| hit(&mut hits, i, leaf));
    scan_rest(log, &st, end, |i, leaf| {
        if matching(leaf) {
            hit(&mut hits, i, leaf);
        }
    })?;
    Ok(hits)
}

/// Where a page of an account's events in time order ends: the last event's time and index.
pub type After = (DateTime<Utc>, u64);

/// An account's events between `from` and `to`, in time order (events with one time in log
/// order), after `after` when given: up to `limit`, and whether more follow.
pub fn account_events_in_time(
    log: &Log,
    account: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<After>,
    limit: usize,
) -> Result<(Vec<Found>, bool), LedgerError> {
    let mut hits = account_hits(log, account, from, to)?;
    if let Some((at, index)) = after {
        hits.retain(|(i, e)| (e.time, *i) > (at, index));
    }
    hits.sort_by_key(|(i, e)| (e.time, *i));
    Ok(page(hits, limit))
}

fn page(hits: Vec<(u64, Event)>, limit: usize) -> (Vec<Found>, bool) {
    let more = hits.len() > limit;
    let out = hits
        .into_iter()
        .take(limit)
        .map(|(index, event)| Found {
            index,
            event,
            proof: None,
        })
        .collect();
    (out, more)
}

/// How an account used an address or network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountUse {
    pub account_id: String,
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The entries of `first_seen` and `last_seen`, to prove. An event that reached the
    /// ledger late has a later index than events after it in time: the entry of the first use
    /// may come after the entry of the last.
    pub first_index: u64,
    pub last_index: u64,
    /// Inclusion proofs of those two entries, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_proof: Option<Proof>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_proof: Option<Proof>,
}

/// Uses of an address by one account, being summed: count, first and last (time, index).
struct Uses {
    count: u64,
    first: (T, u64),
    last: (T, u64),
}

fn add(
    by: &mut HashMap<Vec<u8>, Uses>,
    account: &[u8],
    count: u64,
    first: (T, u64),
    last: (T, u64),
) {
    match by.get_mut(account) {
        Some(u) => {
            u.count += count;
            u.first = u.first.min(first);
            u.last = u.last.max(last);
        }
        None => {
            by.insert(account.to_vec(), Uses { count, first, last });
        }
    }
}

/// The accounts that used `net` between `from` and `to`, with counts and first and last seen,
/// busiest first.
pub fn net_accounts(
    log: &Log,
    net: &Net,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AccountUse>, LedgerError> {
    let (from, to) = (t(from), t(to));
    let ranges = net.key_ranges();
    let mut by: HashMap<Vec<u8>, Uses> = HashMap::new();
    let (v, end, st) = view(log);
    let segments = v.segments_within(from, to);
    for s in &segments {
        for &(lo, hi) in &ranges {
            s.prefetch_net(lo, hi);
        }
    }
    let one = |by: &mut HashMap<Vec<u8>, Uses>, i: u64, leaf: &[u8]| {
        if let Some((a, tm, ip)) = peek(leaf)
            && tm >= from
            && tm <= to
            && net.contains(ip)
        {
            add(by, a, 1, (tm, i), (tm, i));
        }
    };
    for s in segments {
        // Each segment's sums apart, so that a segment whose blocks cannot be read is
        // answered from its bundles instead, whole.
        let mut mine: HashMap<Vec<u8>, Uses> = HashMap::new();
        let from_index = (|| -> Result<(), LedgerError> {
            if from <= s.min && s.max <= to {
                // The whole segment is in range: its sums are the answer.
                for &(lo, hi) in &ranges {
                    s.net_rows(lo, hi, &mut |r| {
                        add(&mut mine, &r.account, r.count, r.first, r.last)
                    })?;
                }
                return Ok(());
            }
            // Partly in range: the accounts it names, then their events one by one.
            let mut accounts = std::collections::BTreeSet::new();
            for &(lo, hi) in &ranges {
                s.net_rows(lo, hi, &mut |r| {
                    accounts.insert(r.account);
                })?;
            }
            for a in accounts {
                s.account_rows(&a, from, to, &mut |i, leaf| {
                    if let Some((_, tm, ip)) = peek(leaf)
                        && net.contains(ip)
                    {
                        add(&mut mine, &a, 1, (tm, i), (tm, i));
                    }
                })?;
            }
            Ok(())
        })();
        if from_index.is_err() {
            mine.clear();
            scan_segment(log, s, |i, leaf| one(&mut mine, i, leaf))?;
        }
        for (a, u) in mine {
            add(&mut by, &a, u.count, u.first, u.last);
        }
    }
    for &(lo, hi) in &ranges {
        v.pending_net_rows(lo, hi, &mut |i, leaf| one(&mut by, i, leaf));
    }
    scan_rest(log, &st, end, |i, leaf| one(&mut by, i, leaf))?;
    let mut v: Vec<AccountUse> = by
        .into_iter()
        .map(|(a, u)| AccountUse {
            account_id: String::from_utf8_lossy(&a).into_owned(),
            count: u.count,
            first_seen: time_of(u.first.0),
            last_seen: time_of(u.last.0),
            first_index: u.first.1,
            last_index: u.last.1,
            first_proof: None,
            last_proof: None,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.account_id.cmp(&b.account_id)));
    Ok(v)
}

/// Checks an inclusion proof of entry `index` against a signed checkpoint: the checkpoint's
/// signature (by `vkey`, for `origin`), its size (the proof's), then the audit path to its
/// root hash (RFC 6962).
pub fn check_proof(
    proof: &Proof,
    index: u64,
    checkpoint: &[u8],
    vkey: &str,
    origin: &str,
) -> Result<(), LedgerError> {
    let cp = crate::log::open_checkpoint(checkpoint, vkey, origin)?;
    if cp.size() != proof.tree_size {
        return Err(LedgerError::Invalid(format!(
            "the proof is for a tree of {} entries, the checkpoint of {}",
            proof.tree_size,
            cp.size()
        )));
    }
    let hash = |s: &str| -> Result<tlog_tiles::Hash, LedgerError> {
        let b = base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| LedgerError::Invalid("a proof hash is not base64".into()))?;
        let a: [u8; tlog_tiles::HASH_SIZE] = b
            .try_into()
            .map_err(|_| LedgerError::Invalid("a proof hash is not 32 bytes".into()))?;
        Ok(tlog_tiles::Hash(a))
    };
    let path = proof
        .hashes
        .iter()
        .map(|h| hash(h))
        .collect::<Result<Vec<_>, _>>()?;
    tlog_tiles::check_record(&path, cp.size(), *cp.hash(), index, hash(&proof.leaf_hash)?)
        .map_err(|e| LedgerError::Invalid(format!("the inclusion proof does not hold: {e:?}")))
}

#[cfg(test)]
mod proof_tests {
    use super::*;

    /// A login of `account` from one address, at one time.
    fn login(account: String) -> Event {
        Event {
            account_id: account,
            time: chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            ip: "203.0.113.7".parse().unwrap(),
            port: None,
            action: crate::Action::Login,
            source: "sso".into(),
            actor: None,
            user_agent: None,
            request_id: None,
            ssh_key_fingerprint: None,
        }
    }

    #[test]
    fn a_proof_holds_against_its_signed_checkpoint_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let l = crate::Ledger::open(dir.path(), "custos.test/ledger").unwrap();
        let events: Vec<Event> = (0..9).map(|i| login(format!("acc_{i}"))).collect();
        l.access.append(&events).unwrap();
        let size = l.access.size();
        let cp = l.access.checkpoint();
        let (vkey, origin) = (l.access.verifier_key(), l.access.origin());
        for i in 0..size {
            let p = prove(&l.access, i, size).unwrap();
            check_proof(&p, i, &cp, vkey, origin).unwrap();
            // Another entry's place, another leaf, a forged path: refused.
            assert!(check_proof(&p, (i + 1) % size, &cp, vkey, origin).is_err());
            let mut bad = p.clone();
            bad.leaf_hash = prove(&l.access, (i + 1) % size, size).unwrap().leaf_hash;
            assert!(check_proof(&bad, i, &cp, vkey, origin).is_err());
        }
        // Many at once: the same leaves and paths as one at a time.
        let all: Vec<u64> = (0..size).collect();
        for (i, (leaf, path)) in l
            .access
            .prove_many(&all, size)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            let one = prove(&l.access, i as u64, size).unwrap();
            assert_eq!(b64(&leaf), one.leaf_hash);
            assert_eq!(path.iter().map(b64).collect::<Vec<_>>(), one.hashes);
        }
        // A checkpoint altered by one byte: its signature fails.
        let p = prove(&l.access, 0, size).unwrap();
        let mut forged = cp.clone();
        let at = forged.iter().position(|b| *b == b'\n').unwrap() + 1;
        forged[at] ^= 1;
        assert!(check_proof(&p, 0, &forged, vkey, origin).is_err());
        assert!(check_proof(&p, 0, &cp, vkey, "another/origin").is_err());
    }

    #[test]
    fn proofs_many_at_once_are_those_one_at_a_time_across_tiles() {
        let dir = tempfile::tempdir().unwrap();
        let l = crate::Ledger::open(dir.path(), "custos.test/ledger").unwrap();
        for batch in 0..7 {
            let events: Vec<Event> = (0..100)
                .map(|i| login(format!("acc_{}", (batch * 100 + i) % 13)))
                .collect();
            l.access.append(&events).unwrap();
        }
        let size = l.access.size();
        let some: Vec<u64> = (0..size)
            .filter(|i| i % 13 == 5 || *i == size - 1)
            .collect();
        let many = l.access.prove_many(&some, size).unwrap();
        for (i, (leaf, path)) in some.iter().zip(many) {
            let one = prove(&l.access, *i, size).unwrap();
            assert_eq!(b64(&leaf), one.leaf_hash, "entry {i}");
            assert_eq!(
                path.iter().map(b64).collect::<Vec<_>>(),
                one.hashes,
                "entry {i}"
            );
        }
        // Handed out in chunks of three, and for every other chunk only (as the threads
        // of a package take them): the same leaves and paths, each chunk its own entries.
        let every_other: Vec<u64> = some.chunks(3).step_by(2).flatten().copied().collect();
        let mut seen = vec![];
        l.access
            .prove_each(&every_other, size, 3, |run, proven| {
                assert!(run.len() <= 3);
                assert_eq!(run.len(), proven.len());
                seen.extend(run.iter().copied().zip(proven));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), every_other);
        for (i, (leaf, path)) in seen {
            let one = prove(&l.access, i, size).unwrap();
            assert_eq!(b64(&leaf), one.leaf_hash, "entry {i}");
            assert_eq!(path.iter().map(b64).collect::<Vec<_>>(), one.hashes);
        }
        // What the chunk's user fails with ends the run.
        let mut calls = 0;
        let stopped = l.access.prove_each(&some, size, 2, |_, _| {
            calls += 1;
            Err(crate::LedgerError::Invalid("enough".into()))
        });
        assert!(stopped.is_err());
        assert_eq!(calls, 1);
        assert!(l.access.prove_many(&[size], size).is_err());
    }
}
