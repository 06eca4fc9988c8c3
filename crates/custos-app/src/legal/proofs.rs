//! The access part of a records package: an account's events found through the ledger's
//! index, then proven and rendered (CSV and NDJSON rows, one C2SP tlog-proof file each) on
//! every core while the package is written, in runs handed to the writer in log order, so that
//! writing the zip and making the proofs overlap instead of following one another.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use base64::Engine;
use chrono::{DateTime, Utc};
use custos_ledger::index::Net;
use custos_ledger::{Event, Ledger, LedgerError};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::package::time_text;
use crate::error::{Error, Result};

/// How many events a run holds: the unit a proof thread hands to the writer.
const RUN: usize = 4096;

/// The access part of a package: the events, and the signed checkpoint they are proven
/// against (the proofs are made as the package is written, by [`AccessPart::render`]).
#[derive(Clone)]
pub struct AccessPart {
    /// The events, each with its place in the log, in log order.
    pub events: Vec<(u64, Event)>,
    pub checkpoint: Vec<u8>,
    pub checkpoint_size: u64,
    pub verifier_key: String,
    log: Arc<Ledger>,
}

impl std::fmt::Debug for AccessPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPart")
            .field("events", &self.events.len())
            .field("checkpoint_size", &self.checkpoint_size)
            .finish_non_exhaustive()
    }
}

/// A run of events rendered for the package, in log order.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The rows of `events.csv` (no header).
    pub csv: Vec<u8>,
    /// The lines of `events.ndjson`.
    pub ndjson: Vec<u8>,
    /// Per event: its entry, its tlog-proof file and that file's SHA-256 (hex).
    pub proofs: Vec<(u64, Vec<u8>, String)>,
}

/// The events of `accounts` in the range (from the given networks, when any), in log order,
/// with the log's current checkpoint to prove them against.
pub fn gather_events(
    l: &Arc<Ledger>,
    accounts: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    nets: &[Net],
) -> std::result::Result<AccessPart, LedgerError> {
    let (size, checkpoint) = l.access.head();
    let mut found = vec![];
    for a in accounts {
        let (events, _) = custos_ledger::query::account_events(&l.access, a, from, to, usize::MAX)?;
        found.extend(
            events
                .into_iter()
                .filter(|f| f.index < size)
                .filter(|f| nets.is_empty() || nets.iter().any(|n| n.contains(f.event.ip)))
                .map(|f| (f.index, f.event)),
        );
    }
    found.sort_by_key(|f| f.0);
    found.dedup_by_key(|f| f.0);
    Ok(AccessPart {
        events: found,
        checkpoint,
        checkpoint_size: size,
        verifier_key: l.access.verifier_key().to_owned(),
        log: l.clone(),
    })
}

impl AccessPart {
    /// Proves and renders the events on every core, handing each run of them to `each` in
    /// log order as soon as it is ready. An error of `each` (a full disk) stops the threads.
    pub fn render(&self, mut each: impl FnMut(Rendered) -> Result<()>) -> Result<()> {
        let n = self.events.len();
        let runs = n.div_ceil(RUN);
        if runs == 0 {
            return Ok(());
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
            .min(runs);
        std::thread::scope(|sc| {
            let mut ready: Vec<Receiver<Result<Rendered>>> = Vec::with_capacity(threads);
            let mut workers = Vec::with_capacity(threads);
            for t in 0..threads {
                // Thread t takes runs t, t + threads, ...: the writer takes them in turn.
                let (tx, rx) = sync_channel::<Result<Rendered>>(2);
                ready.push(rx);
                workers.push(sc.spawn(move || {
                    let mine: Vec<u64> = (t..runs)
                        .step_by(threads)
                        .flat_map(|k| &self.events[k * RUN..((k + 1) * RUN).min(n)])
                        .map(|e| e.0)
                        .collect();
                    let mut k = t;
                    let done = self.log.access.prove_each(
                        &mine,
                        self.checkpoint_size,
                        RUN,
                        |run, proven| {
                            let rows = &self.events[k * RUN..k * RUN + run.len()];
                            k += threads;
                            let r = render_run(rows, proven, &self.checkpoint);
                            let failed = r.is_err();
                            tx.send(r).map_err(|_| stopped())?;
                            if failed { Err(stopped()) } else { Ok(()) }
                        },
                    );
                    if let Err(e) = done
                        && !is_stopped(&e)
                    {
                        let _ = tx.send(Err(e.into()));
                    }
                }));
            }
            let written = (0..runs).try_for_each(|k| {
                let r = ready[k % threads].recv().map_err(|_| {
                    Error::Internal("a proof thread ended before its events".into())
                })??;
                each(r)
            });
            // The threads stop (their channels are gone) and are joined here: one that
            // panicked is an error, not a panic of the writer.
            drop(ready);
            let panicked = workers.into_iter().any(|w| w.join().is_err());
            written?;
            if panicked {
                return Err(Error::Internal("a proof thread panicked".into()));
            }
            Ok(())
        })
    }
}

const STOPPED: &str = "the package's writer stopped";

fn stopped() -> LedgerError {
    LedgerError::Invalid(STOPPED.into())
}

fn is_stopped(e: &LedgerError) -> bool {
    matches!(e, LedgerError::Invalid(m) if m == STOPPED)
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A row of `events.csv` (an absent field is an empty cell: a present one is never empty).
pub fn csv_row(index: u64, e: &Event, leaf_hash: &[u8; 32]) -> [String; 12] {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        index.to_string(),
        e.account_id.clone(),
        time_text(e.time),
        e.ip.to_string(),
        e.port.map(|p| p.to_string()).unwrap_or_default(),
        e.action.as_str().to_owned(),
        e.source.clone(),
        o(&e.actor),
        o(&e.user_agent),
        o(&e.request_id),
        b64(leaf_hash),
        o(&e.ssh_key_fingerprint),
    ]
}

/// A C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) of entry `index` against `checkpoint`.
pub fn tlog_proof<'a>(
    index: u64,
    proof: impl IntoIterator<Item = &'a [u8; 32]>,
    checkpoint: &[u8],
) -> Vec<u8> {
    let mut out = format!("c2sp.org/tlog-proof@v1\nindex {index}\n").into_bytes();
    for h in proof {
        out.extend_from_slice(b64(h).as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(checkpoint);
    out
}

type Proven = Vec<(custos_ledger::log::Hash, Vec<custos_ledger::log::Hash>)>;

fn render_run(rows: &[(u64, Event)], proven: Proven, checkpoint: &[u8]) -> Result<Rendered> {
    let csv_err = |e: csv::Error| Error::Internal(format!("events.csv: {e}"));
    let json_err = |e: serde_json::Error| Error::Internal(format!("events.ndjson: {e}"));
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows.len() * 192));
    let mut out = Rendered {
        ndjson: Vec::with_capacity(rows.len() * 320),
        proofs: Vec::with_capacity(rows.len()),
        ..Rendered::default()
    };
    for ((index, event), (leaf, proof)) in rows.iter().zip(proven) {
        csv.write_record(csv_row(*index, event, &leaf.0))
            .map_err(csv_err)?;
        let mut line = serde_json::to_value(event).map_err(json_err)?;
        line["index"] = json!(index);
        line["time"] = json!(time_text(event.time));
        line["leaf_hash"] = json!(b64(&leaf.0));
        serde_json::to_writer(&mut out.ndjson, &line).map_err(json_err)?;
        out.ndjson.push(b'\n');
        let file = tlog_proof(*index, proof.iter().map(|h| &h.0), checkpoint);
        let digest = hex::encode(Sha256::digest(&file));
        out.proofs.push((*index, file, digest));
    }
    out.csv = csv
        .into_inner()
        .map_err(|e| Error::Internal(format!("events.csv: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_of(n: usize) -> (tempfile::TempDir, Arc<Ledger>) {
        let dir = tempfile::tempdir().unwrap();
        let l = Arc::new(Ledger::open(dir.path(), "custos.test/ledger").unwrap());
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let events: Vec<Event> = (0..n)
            .map(|i| Event {
                account_id: if i % 3 == 0 { "acc_a" } else { "acc_b" }.into(),
                time: t0 + chrono::Duration::seconds(i as i64),
                ip: "203.0.113.7".parse().unwrap(),
                port: None,
                action: custos_ledger::Action::Login,
                source: "sso".into(),
                actor: None,
                user_agent: None,
                request_id: None,
                ssh_key_fingerprint: None,
            })
            .collect();
        for batch in events.chunks(1000) {
            l.access.append(batch).unwrap();
        }
        (dir, l)
    }

    /// Runs made on several threads reach the writer in log order, and are what one thread
    /// proving them all in turn renders.
    #[test]
    fn runs_of_many_threads_come_in_log_order_as_one_thread_renders_them() {
        let (_dir, l) = ledger_of(3 * RUN * 3 + 17);
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let a = gather_events(&l, &["acc_a".into()], min, max, &[]).unwrap();
        assert_eq!(a.events.len(), 3 * RUN + 6);
        let mut got = Rendered::default();
        let mut runs = 0;
        a.render(|r| {
            runs += 1;
            got.csv.extend(r.csv);
            got.ndjson.extend(r.ndjson);
            got.proofs.extend(r.proofs);
            Ok(())
        })
        .unwrap();
        assert_eq!(runs, 4);
        let indexes: Vec<u64> = a.events.iter().map(|e| e.0).collect();
        let whole = l.access.prove_many(&indexes, a.checkpoint_size).unwrap();
        let one = render_run(&a.events, whole, &a.checkpoint).unwrap();
        assert_eq!(got.csv, one.csv);
        assert_eq!(got.ndjson, one.ndjson);
        assert_eq!(got.proofs, one.proofs);
        assert_eq!(got.proofs.iter().map(|p| p.0).collect::<Vec<_>>(), indexes);
    }

    /// The writer failing (a full disk) stops the proof threads: the error comes back, and
    /// nothing waits for ever.
    #[test]
    fn the_writer_failing_stops_the_threads() {
        let (_dir, l) = ledger_of(4 * RUN * 3);
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let a = gather_events(&l, &["acc_a".into()], min, max, &[]).unwrap();
        let mut calls = 0;
        let e = a
            .render(|_| {
                calls += 1;
                Err(Error::StoreUnavailable("the disk is full".into()))
            })
            .unwrap_err();
        assert!(matches!(e, Error::StoreUnavailable(_)), "{e:?}");
        assert_eq!(calls, 1);
    }
}
