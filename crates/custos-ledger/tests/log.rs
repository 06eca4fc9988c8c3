//! The log through its public interface: proofs check against signed checkpoints, the root
//! agrees with an independent RFC 6962 implementation (Python's hashlib), tiles and bundles
//! are laid out as C2SP tlog-tiles says, concurrent appends share commits, reopening trims
//! what was never acknowledged, `verify` finds every flipped byte, and a writer killed with
//! SIGKILL at random points never loses an acknowledged event.

mod common;
use common::Rng;
use common::disk::{SmallDisk, fs_free};

use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use custos_ledger::log::{TILE, open_checkpoint, parse_tile_path, tile_path};
use custos_ledger::{Action, Event, Log, generate_key, verifier_key, verify};
use tlog_tiles::{Hash, check_record, check_tree, record_hash};

const ORIGIN: &str = "custos.test/ledger/access";

fn event(i: u64) -> Event {
    let ip: IpAddr = if i.is_multiple_of(3) {
        format!("2001:db8::{:x}", i % 65_000).parse().unwrap()
    } else {
        format!("198.51.{}.{}", (i / 256) % 256, i % 256)
            .parse()
            .unwrap()
    };
    Event {
        account_id: format!("acc_{}", i % 97),
        time: DateTime::<Utc>::from_timestamp(
            1_790_000_000 + i as i64,
            (i * 7919 % 1_000_000_000) as u32,
        )
        .unwrap(),
        ip,
        port: i.is_multiple_of(2).then_some(443),
        action: Action::ALL[(i % 9) as usize],
        source: "control-plane".into(),
        actor: i.is_multiple_of(5).then(|| format!("user{}", i % 11)),
        user_agent: None,
        request_id: Some(format!("req-{i}")),
        ssh_key_fingerprint: None,
    }
}

fn open(dir: &Path) -> (Log, String) {
    let key_path = dir.join("test.key");
    let skey = match std::fs::read_to_string(&key_path) {
        Ok(k) => k,
        Err(_) => {
            let (s, _) = generate_key("custos.test");
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&key_path, &s).unwrap();
            s
        }
    };
    let vkey = verifier_key(&skey).unwrap();
    (Log::open(&dir.join("log"), ORIGIN, &skey).unwrap(), vkey)
}

/// The same log, indexed by segments of `sb` bundles.
fn open_indexed(dir: &Path, sb: u64) -> (Log, String) {
    let (log, vkey) = open(dir);
    drop(log);
    let skey = std::fs::read_to_string(dir.join("test.key")).unwrap();
    (
        Log::open_indexed(&dir.join("log"), ORIGIN, &skey, Some(sb)).unwrap(),
        vkey,
    )
}

fn root_of(log: &Log, size: u64) -> Hash {
    log.root_at(size).unwrap()
}

#[test]
fn proofs_check_against_signed_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = open(dir.path());
    assert_eq!(log.size(), 0);
    let mut rng = Rng(1);
    let mut sizes = vec![];
    let mut n = 0;
    while n < 1500 {
        let k = 1 + rng.below(300);
        let batch: Vec<Event> = (n..n + k).map(event).collect();
        let r = log.append(&batch).unwrap();
        assert_eq!(r, n..n + k);
        n += k;
        sizes.push(n);
        // The checkpoint is signed by the log's key, for its origin, at its size.
        let cp = open_checkpoint(&log.checkpoint(), &vkey, ORIGIN).unwrap();
        assert_eq!(cp.size(), n);
        assert_eq!(cp.hash(), &log.root());
    }
    let size = log.size();
    let root = log.root();
    for _ in 0..300 {
        let i = rng.below(size);
        let proof = log.inclusion_proof(i, size).unwrap();
        let leaf = record_hash(&log.entry(i).unwrap());
        assert_eq!(leaf, log.leaf_hash(i).unwrap());
        check_record(&proof, size, root, i, leaf).unwrap();
        // A proof does not prove another entry.
        let other = record_hash(&event(size + 1).encode());
        assert!(check_record(&proof, size, root, i, other).is_err());
    }
    for _ in 0..100 {
        let a = sizes[rng.below(sizes.len() as u64) as usize];
        let b = sizes[rng.below(sizes.len() as u64) as usize];
        let (old, new) = (a.min(b), a.max(b));
        let p = log.consistency_proof(old, new).unwrap();
        check_tree(&p, new, root_of(&log, new), old, root_of(&log, old)).unwrap();
    }
    assert!(log.inclusion_proof(size, size).is_err());
    assert!(log.consistency_proof(2, size + 1).is_err());
    // Every entry decodes to what was appended.
    assert_eq!(
        Event::decode(&log.entry(1234).unwrap()).unwrap(),
        event(1234)
    );
}

#[test]
fn the_root_agrees_with_an_independent_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(dir.path());
    let events: Vec<Event> = (0..1000).map(event).collect();
    log.append(&events).unwrap();
    let leaves: String = events
        .iter()
        .map(|e| format!("{}\n", hex::encode(e.encode())))
        .collect();
    // RFC 6962 section 2.1, written out in Python for the test.
    let script = r#"
import hashlib, sys
leaves = [bytes.fromhex(l) for l in sys.stdin.read().split()]
def mth(d):
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()
for n in (1, 2, 3, 255, 256, 257, 1000):
    print(n, mth(leaves[:n]).hex())
"#;
    let mut child =
        Command::new(std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()))
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(leaves.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (n, root) = line.split_once(' ').unwrap();
        let n: u64 = n.parse().unwrap();
        assert_eq!(hex::encode(root_of(&log, n).0), root, "tree of {n}");
    }
}

#[test]
fn tiles_and_bundles_follow_the_c2sp_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(dir.path());
    log.append(&(0..600).map(event).collect::<Vec<_>>())
        .unwrap();
    // Level 0, tile 0: the first 256 leaf hashes.
    let t = log.hash_tile(0, 0, 256).unwrap();
    assert_eq!(t.len(), 256 * 32);
    for i in [0u64, 17, 255] {
        assert_eq!(&t[i as usize * 32..][..32], &log.leaf_hash(i).unwrap().0);
    }
    // The partial tile at the edge.
    let p = log.hash_tile(0, 2, 88).unwrap();
    assert_eq!(&p[..32], &log.leaf_hash(512).unwrap().0);
    assert!(log.hash_tile(0, 2, 89).is_err(), "beyond the tree");
    // Level 1, tile 0: the roots of the first two full level-0 tiles.
    let l1 = log.hash_tile(1, 0, 2).unwrap();
    assert_eq!(&l1[..32], &root_of(&log, 256).0);
    // An entry bundle: 16-bit big-endian lengths and the entries.
    let b = log.entry_bundle(1, 256).unwrap();
    let first_len = usize::from(u16::from_be_bytes([b[0], b[1]]));
    assert_eq!(&b[2..2 + first_len], &event(256).encode()[..]);
    assert!(log.entry_bundle(2, 89).is_err());
    // Paths.
    assert_eq!(tile_path(Some(0), 1_234_067, 256), "tile/0/x001/x234/067");
    assert_eq!(tile_path(None, 5, 8), "tile/entries/005.p/8");
    for p in ["tile/0/x001/x234/067", "tile/entries/005.p/8", "tile/3/000"] {
        let (l, n, w) = parse_tile_path(p).unwrap();
        assert_eq!(tile_path(l, n, w), p);
    }
    for bad in [
        "tile/0/1234",
        "tile/0/x001/234.p/0",
        "tile/0/001.p/256",
        "tile/99/001",
        "tile/0/001.p/08",
        "tile/entries/../001",
        "tile/0/",
    ] {
        assert!(parse_tile_path(bad).is_none(), "{bad}");
    }
    let _ = TILE;
}

#[test]
fn concurrent_appends_share_commits_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(dir.path());
    let log = std::sync::Arc::new(log);
    let ranges: Vec<std::ops::Range<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                s.spawn(move || {
                    (0..20)
                        .map(|k| {
                            log.append(
                                &(0..5)
                                    .map(|j| event(t * 1000 + k * 10 + j))
                                    .collect::<Vec<_>>(),
                            )
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut covered: Vec<u64> = ranges.iter().flat_map(|r| r.clone()).collect();
    covered.sort_unstable();
    assert_eq!(covered, (0..800).collect::<Vec<_>>());
    assert_eq!(log.size(), 800);
}

#[test]
fn reopening_trims_what_was_never_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (log, _) = open(dir.path());
        log.append(&(0..300).map(event).collect::<Vec<_>>())
            .unwrap();
    }
    // A batch that was being written when the process died: bytes past the checkpoint.
    for f in ["entries", "upper", "mid", "bundles", "tail-0"] {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("log").join(f))
            .unwrap();
        file.write_all(&[0xab; 77]).unwrap();
    }
    let (log, vkey) = open(dir.path());
    assert_eq!(log.size(), 300);
    log.append(&[event(300)]).unwrap();
    drop(log);
    let v = verify(&dir.path().join("log"), &vkey, ORIGIN, true, |_| {}).unwrap();
    assert_eq!(v.size, 301);
}

#[test]
fn a_log_without_mid_gets_it_on_opening() {
    // `mid` (each bundle's level-6 hashes) came after the first logs were written: opening
    // one without it, or with it cut short, rebuilds it from the bundles.
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = open(dir.path());
    log.append(&(0..1100).map(event).collect::<Vec<_>>())
        .unwrap();
    let (size, root) = (log.size(), log.root());
    drop(log);
    let logdir = dir.path().join("log");
    let whole = std::fs::read(logdir.join("mid")).unwrap();
    assert_eq!(
        whole.len(),
        4 * 128,
        "four complete bundles, 128 bytes each"
    );
    for cut in [0, 128 + 77] {
        std::fs::write(logdir.join("mid"), &whole[..cut]).unwrap();
        assert!(verify(&logdir, &vkey, ORIGIN, true, |_| {}).is_err());
        let (log, _) = open(dir.path());
        assert_eq!(std::fs::read(logdir.join("mid")).unwrap(), whole);
        for i in [0, 63, 64, 700, 1023, 1099] {
            let proof = log.inclusion_proof(i, size).unwrap();
            check_record(&proof, size, root, i, log.leaf_hash(i).unwrap()).unwrap();
        }
        drop(log);
        verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
    }
}

#[test]
fn every_flipped_byte_is_found() {
    let dir = tempfile::tempdir().unwrap();
    // Indexed by segments of one bundle, and with retention's traces (purged entries in a
    // complete bundle and in the incomplete one), so that every kind of file is there.
    let (log, vkey) = open_indexed(dir.path(), 1);
    for k in 0..4 {
        log.append(&(k * 150..(k + 1) * 150).map(event).collect::<Vec<_>>())
            .unwrap();
    }
    log.wait_indexed().unwrap();
    assert_eq!(log.purge(&[5, 300, 590]).unwrap(), 3);
    drop(log);
    let logdir = dir.path().join("log");
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
    let mut rng = Rng(7);
    let mut named = 0;
    for round in 0..300 {
        let file = [
            "entries",
            "upper",
            "mid",
            "bundles",
            "checkpoint",
            "tail-0",
            "index/seg-0",
            "index/seg-1",
            "purged-leaves",
            "purged",
        ][round % 10];
        let path = logdir.join(file);
        let original = std::fs::read(&path).unwrap();
        let mut flipped = original.clone();
        let at = rng.below(original.len() as u64) as usize;
        flipped[at] ^= 1 << rng.below(8);
        std::fs::write(&path, &flipped).unwrap();
        let err = verify(&logdir, &vkey, ORIGIN, true, |_| {})
            .expect_err(&format!("a flip of byte {at} of {file} went unnoticed"));
        let err = err.to_string();
        if err.contains("entry ") || err.contains("index segment") {
            named += 1;
        }
        std::fs::write(&path, &original).unwrap();
    }
    // Flips name the entry or the index segment, but for those in the checkpoint, in
    // `entries` outside any bundle (the zeroed frame a purge left) and in the marks of
    // `purged` that stand for no entry.
    assert!(named >= 120, "{named}");
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
}

/// Not a test on its own: the writer the SIGKILL test runs in a child process. It appends
/// batches for ever and prints each acknowledged range.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("CUSTOS_LEDGER_CRASH_DIR") else {
        return;
    };
    // Indexed, so that the index builder is killed too.
    let (log, _) = open_indexed(Path::new(&dir), 2);
    let mut out = std::io::stdout().lock();
    let mut rng = Rng(log.size() + 1);
    loop {
        let start = log.size();
        // Some batches complete two bundles or more (the tail files take turns then).
        let k = 1 + rng.below(700);
        let r = log
            .append(&(start..start + k).map(event).collect::<Vec<_>>())
            .unwrap();
        writeln!(out, "ack {} {}", r.start, r.end).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_killed_writer_never_loses_an_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let mut rng = Rng(99);
    let mut acked = 0u64;
    for _ in 0..20 {
        let mut child = Command::new(&me)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("CUSTOS_LEDGER_CRASH_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wanted = 1 + rng.below(25);
        let mut seen = 0;
        while seen < wanted {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("ack ") {
                let end: u64 = rest.split(' ').nth(1).unwrap().parse().unwrap();
                acked = acked.max(end);
                seen += 1;
            }
        }
        // SIGKILL, wherever the writer is.
        child.kill().unwrap();
        child.wait().unwrap();
        let (log, vkey) = open_indexed(dir.path(), 2);
        assert!(
            log.size() >= acked,
            "acknowledged {acked} events, {} survived",
            log.size()
        );
        for i in [0, acked.saturating_sub(1), log.size() - 1] {
            assert_eq!(Event::decode(&log.entry(i).unwrap()).unwrap(), event(i));
        }
        drop(log);
        verify(&dir.path().join("log"), &vkey, ORIGIN, true, |_| {}).unwrap();
    }
    assert!(acked > 100, "{acked}");
}

#[test]
fn the_verifier_key_is_derived_from_any_private_key() {
    // Base64 carries `+` and `/`: enough keys that some do.
    for _ in 0..300 {
        let (skey, vkey) = generate_key("custos.test");
        assert_eq!(verifier_key(&skey).unwrap(), vkey);
    }
    assert!(verifier_key("PRIVATE+KEY+x").is_err());
    assert!(verifier_key("not a key").is_err());
}

#[test]
fn purged_payloads_leave_a_tree_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = open(dir.path());
    log.append(&(0..700).map(event).collect::<Vec<_>>())
        .unwrap();
    let size = log.size();
    let root = log.root();
    let proof_before = log.inclusion_proof(300, size).unwrap();
    let leaf_before = log.leaf_hash(300).unwrap();
    assert_eq!(log.purge(&[300, 301, 699, 300]).unwrap(), 3);
    assert_eq!(log.purge(&[300]).unwrap(), 0, "already purged");
    assert!(log.purge(&[700]).is_err(), "beyond the tree");
    assert!(log.is_purged(301) && !log.is_purged(302));
    // The payload is gone; the leaf hash, the root and the proofs stay.
    assert!(log.entry(300).unwrap().iter().all(|&b| b == 0));
    assert!(Event::decode(&log.entry(300).unwrap()).is_err());
    assert_eq!(Event::decode(&log.entry(302).unwrap()).unwrap(), event(302));
    assert_eq!(log.leaf_hash(300).unwrap(), leaf_before);
    assert_eq!(log.root_at(size).unwrap(), root);
    check_record(
        &log.inclusion_proof(300, size).unwrap(),
        size,
        root,
        300,
        leaf_before,
    )
    .unwrap();
    assert_eq!(log.inclusion_proof(300, size).unwrap(), proof_before);
    // Appends go on after a purge.
    log.append(&[event(700)]).unwrap();
    drop(log);
    let logdir = dir.path().join("log");
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
    // A purged entry whose bytes come back, or a mark on an entry that was not purged, is
    // found.
    let purged = std::fs::read(logdir.join("purged")).unwrap();
    let mut marked = purged.clone();
    marked[(302 / 8) as usize] |= 1 << (302 % 8);
    std::fs::write(logdir.join("purged"), &marked).unwrap();
    let err = verify(&logdir, &vkey, ORIGIN, true, |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("entry 302"), "{err}");
    std::fs::write(logdir.join("purged"), &purged).unwrap();
    let mut past = purged.clone();
    past.push(1);
    std::fs::write(logdir.join("purged"), &past).unwrap();
    assert!(verify(&logdir, &vkey, ORIGIN, true, |_| {}).is_err());
    std::fs::write(logdir.join("purged"), &purged).unwrap();
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
    // A purge cut short: the leaf hash of entry 400 kept but its payload not yet zeroed, and
    // a torn record after it. Opening cuts the torn record; purging again finishes the job
    // without keeping the hash twice.
    let (log, _) = open(dir.path());
    let leaf = record_hash(&log.entry(400).unwrap());
    drop(log);
    let mut kept = std::fs::read(logdir.join("purged-leaves")).unwrap();
    kept.extend_from_slice(&400u64.to_be_bytes());
    kept.extend_from_slice(&leaf.0);
    kept.extend_from_slice(&[7; 13]);
    std::fs::write(logdir.join("purged-leaves"), &kept).unwrap();
    let (log, _) = open(dir.path());
    assert_eq!(log.purge(&[400, 401]).unwrap(), 2);
    assert_eq!(log.leaf_hash(400).unwrap(), leaf);
    drop(log);
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
}

#[test]
fn readers_racing_a_purge_read_the_bundle_where_it_is() {
    // A purge writes a bundle anew at the end of `entries`, points `bundles` at it and zeroes
    // the old frame: a reader that found the old place just before must still read the bundle.
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(dir.path());
    log.append(&(0..2048).map(event).collect::<Vec<_>>())
        .unwrap();
    let log = std::sync::Arc::new(log);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (log, stop) = (log.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let i = (n * 37 + r) % 256 + 256;
                    log.entry(i).unwrap_or_else(|e| panic!("entry {i}: {e}"));
                    n += 1;
                }
                n
            })
        })
        .collect();
    for i in 256..456 {
        assert_eq!(log.purge(&[i]).unwrap(), 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
}

#[test]
fn a_full_disk_then_a_crash_leaves_a_ledger_that_verifies_and_keeps_what_was_acknowledged() {
    // Batches of every size meet a full disk at every step of a commit (the frames, the
    // bundle records, the tree's hashes, the tail files, the checkpoint); then space is
    // freed, more batches are written, and the process "dies" (nothing is closed).
    let disk = SmallDisk::new(1 << 21);
    let mut rng = Rng(7);
    let mut failures = 0;
    for round in 0..12u64 {
        let (log, vkey) = open(disk.path());
        let filler = disk.fill(rng.below(48 * 1024));
        let mut acked = log.size();
        let mut failed = false;
        for _ in 0..40 {
            let start = acked;
            let k = 1 + rng.below(600);
            match log.append(&(start..start + k).map(event).collect::<Vec<_>>()) {
                Ok(r) => {
                    assert_eq!(r, start..start + k);
                    acked = r.end;
                }
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            failures += 1;
            assert!(log.writable().is_err(), "round {round}: the disk is full");
        }
        std::fs::remove_file(&filler).unwrap();
        if failed {
            assert!(log.writable().is_ok(), "round {round}: space was freed");
        }
        for _ in 0..3 {
            let start = acked;
            let k = 1 + rng.below(400);
            let r = log
                .append(&(start..start + k).map(event).collect::<Vec<_>>())
                .unwrap_or_else(|e| panic!("round {round}: after space was freed: {e}"));
            assert_eq!(r, start..start + k, "round {round}");
            acked = r.end;
        }
        // The crash: nothing more is written, nothing closed.
        std::mem::forget(log);
        verify(&disk.path().join("log"), &vkey, ORIGIN, true, |_| {})
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let (log, _) = open(disk.path());
        assert_eq!(log.size(), acked, "round {round}");
        for i in [0, acked / 2, acked - 1] {
            assert_eq!(Event::decode(&log.entry(i).unwrap()).unwrap(), event(i));
        }
        drop(log);
        // Keep the log small enough to go on meeting a full disk.
        if fs_free(disk.path()) < 1 << 20 {
            std::fs::remove_dir_all(disk.path().join("log")).unwrap();
        }
    }
    assert!(failures >= 6, "only {failures} rounds met a full disk");
}

#[test]
fn a_completed_bundle_leaves_no_copy_in_a_tail_file() {
    let dir = tempfile::tempdir().unwrap();
    let (log, vkey) = open(dir.path());
    // Bundle 0 incomplete (tail-0), then completed by a batch that starts bundle 1 (tail-1),
    // then bundle 1 completed exactly.
    log.append(&(0..100).map(event).collect::<Vec<_>>())
        .unwrap();
    log.append(&(100..300).map(event).collect::<Vec<_>>())
        .unwrap();
    let logdir = dir.path().join("log");
    let len = |n: &str| std::fs::metadata(logdir.join(n)).map_or(0, |m| m.len());
    assert_eq!(len("tail-0"), 0, "bundle 0 is complete: its copy is gone");
    assert!(len("tail-1") > 0);
    log.append(&(300..512).map(event).collect::<Vec<_>>())
        .unwrap();
    assert_eq!((len("tail-0"), len("tail-1")), (0, 0));
    drop(log);
    verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
    // A copy of a complete bundle left in a tail file is found by verify.
    let (log, _) = open(dir.path());
    log.append(&(512..600).map(event).collect::<Vec<_>>())
        .unwrap();
    drop(log);
    let bundle0 = log_bundle(&logdir, 0);
    let mut copy = 0u64.to_be_bytes().to_vec();
    copy.extend_from_slice(&bundle0);
    std::fs::write(logdir.join("tail-1"), &copy).unwrap();
    let err = verify(&logdir, &vkey, ORIGIN, true, |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("tail-1 keeps a copy"), "{err}");
}

fn log_bundle(logdir: &Path, k: u64) -> Vec<u8> {
    let skey = std::fs::read_to_string(logdir.parent().unwrap().join("test.key")).unwrap();
    let log = Log::open(logdir, ORIGIN, &skey).unwrap();
    log.entry_bundle(k, TILE).unwrap()
}

/// An outside auditor checks a bundle from bytes alone, with the ledger's pure layer: the
/// bundle and its hash tile as the log serves them agree, every entry decodes, and a changed
/// byte is caught.
#[test]
fn a_bundle_is_checked_from_bytes_against_its_tile() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(dir.path());
    let events: Vec<Event> = (0..TILE + 10).map(event).collect();
    log.append(&events).unwrap();
    for (n, width) in [(0, TILE), (1, 10)] {
        let bundle = log.entry_bundle(n, width).unwrap();
        let tile = log.hash_tile(0, n, width).unwrap();
        custos_ledger::bundle::check_against_tile(&bundle, &tile).unwrap();
        let entries = custos_ledger::bundle::entries(&bundle).unwrap();
        assert_eq!(entries.len() as u64, width);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(Event::decode(e).unwrap(), events[(n * TILE) as usize + i]);
        }
        let mut changed = bundle.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(custos_ledger::bundle::check_against_tile(&changed, &tile).is_err());
        assert!(custos_ledger::bundle::check_against_tile(&bundle[..last], &tile).is_err());
    }
    assert!(custos_ledger::bundle::entries(&[0, 5, 1]).is_err());
}
