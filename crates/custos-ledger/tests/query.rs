//! Queries through the index against a scan of every event: the events of an account in a time
//! range, and the accounts that used an address or network; the index rebuilt from the entries
//! answers the same; answers carry proofs that check against the checkpoint.

mod common;
use common::Rng;

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use custos_ledger::index::Net;
use custos_ledger::query::{account_events, net_accounts, prove};
use custos_ledger::{Action, Event, Ledger, Log, generate_key};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

/// Traffic: 200 accounts, a few busy; each with a few home addresses, some shared; roughly in
/// time order, with some late arrivals.
fn traffic(n: u64) -> Vec<Event> {
    let mut rng = Rng(5);
    (0..n)
        .map(|i| {
            let account = if rng.below(4) == 0 {
                rng.below(5)
            } else {
                rng.below(200)
            };
            let ip: IpAddr = if account % 4 == 0 {
                format!("2001:db8:{:x}::{:x}", account, rng.below(3))
                    .parse()
                    .unwrap()
            } else {
                format!(
                    "198.{}.{}.{}",
                    18 + account % 2,
                    account % 250,
                    rng.below(4)
                )
                .parse()
                .unwrap()
            };
            let late = if rng.below(50) == 0 { 5000 } else { 0 };
            Event {
                account_id: format!("acc_{account}"),
                time: t0() + Duration::seconds(i as i64 * 10 - late),
                ip,
                port: None,
                action: Action::ALL[rng.below(9) as usize],
                source: "cp".into(),
                actor: None,
                user_agent: None,
                request_id: None,
                ssh_key_fingerprint: None,
            }
        })
        .collect()
}

/// An indexed access log in `dir`, with segments of `sb` bundles.
fn open_log(dir: &std::path::Path, sb: u64) -> Log {
    let key = dir.join("test.key");
    if !key.exists() {
        std::fs::write(&key, generate_key("custos.test").0).unwrap();
    }
    let skey = std::fs::read_to_string(&key).unwrap();
    Log::open_indexed(&dir.join("access"), "custos.test/access", &skey, Some(sb)).unwrap()
}

/// Closes the log of [`open_log`] and verifies it; returns how many index segments were
/// rebuilt and found identical.
fn close_and_verify(dir: &std::path::Path, log: Log) -> u64 {
    let vkey = log.verifier_key().to_owned();
    drop(log);
    custos_ledger::verify(
        &dir.join("access"),
        &vkey,
        "custos.test/access",
        true,
        |_| {},
    )
    .unwrap()
    .index_segments
}

#[test]
fn queries_agree_with_a_scan_of_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let events = traffic(20_000);
    {
        let log = open_log(dir.path(), 4);
        for chunk in events.chunks(777) {
            log.append(chunk).unwrap();
        }
    }
    // Round 0 asks before the builder has caught up (what it has not built is read from
    // the entries); round 1 after; round 2 after a segment is damaged and another lost (both
    // rebuilt); round 3 after the whole index is deleted and rebuilt; round 4 after a segment's
    // blocks are damaged while the log is open (its bundles answer, and it is rebuilt).
    for round in 0..5 {
        let ix = dir.path().join("access").join("index");
        if round == 2 {
            let seg = ix.join("seg-3");
            let bytes = std::fs::read(&seg).unwrap();
            std::fs::write(&seg, &bytes[..bytes.len() / 2]).unwrap();
            std::fs::remove_file(ix.join("seg-7")).unwrap();
        }
        if round == 3 {
            std::fs::remove_dir_all(&ix).unwrap();
        }
        let log = open_log(dir.path(), 4);
        if round > 0 {
            log.wait_indexed().unwrap();
        }
        if round == 4 {
            // In place (the open segment reads the same file): its first blocks unreadable.
            let seg = ix.join("seg-2");
            let mut bytes = std::fs::read(&seg).unwrap();
            for b in &mut bytes[16..2016] {
                *b ^= 0x5a;
            }
            std::fs::OpenOptions::new()
                .write(true)
                .open(&seg)
                .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
                .unwrap();
        }
        let rebuilt = round >= 2;
        let mut rng = Rng(11 + round);
        for q in 0..42 {
            let account = format!("acc_{}", rng.below(200));
            let mut from = t0() + Duration::seconds(rng.below(200_000) as i64);
            let mut to = from + Duration::seconds(rng.below(50_000) as i64);
            if q >= 40 {
                // Everything: every segment is read.
                (from, to) = (t0() - Duration::days(1), t0() + Duration::days(10));
            }
            let (found, more) = account_events(&log, &account, from, to, 100_000).unwrap();
            assert!(!more);
            let want: Vec<u64> = events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.account_id == account && e.time >= from && e.time <= to)
                .map(|(i, _)| i as u64)
                .collect();
            let got: Vec<u64> = found.iter().map(|f| f.index).collect();
            assert_eq!(got, want, "{account} {from} {to} (round {round})");
            for f in &found {
                assert_eq!(f.event, events[f.index as usize]);
            }
        }
        let windows = [
            (t0(), t0() + Duration::days(3)),
            (
                t0() + Duration::seconds(50_003),
                t0() + Duration::seconds(121_111),
            ),
        ];
        for net in [
            "198.18.3.1",
            "198.19.7.0/24",
            "198.18.0.0/16",
            "198.0.0.0/8",
            "2001:db8:8::/48",
            "2001:db8::/32",
            "2001:db8:c::1",
        ] {
            for (from, to) in windows {
                let n = Net::parse(net).unwrap();
                let got = net_accounts(&log, &n, from, to).unwrap();
                let mut want: std::collections::BTreeMap<&str, u64> = Default::default();
                for e in &events {
                    if n.contains(e.ip) && e.time >= from && e.time <= to {
                        *want.entry(e.account_id.as_str()).or_default() += 1;
                    }
                }
                let got_counts: std::collections::BTreeMap<&str, u64> = got
                    .iter()
                    .map(|u| (u.account_id.as_str(), u.count))
                    .collect();
                assert_eq!(
                    got_counts, want,
                    "{net} {from} {to} (round {round}, rebuilt: {rebuilt})"
                );
                for u in &got {
                    assert!(u.first_seen <= u.last_seen);
                    let first = Event::decode(&log.entry(u.first_index).unwrap()).unwrap();
                    assert_eq!(first.time, u.first_seen);
                    let last = Event::decode(&log.entry(u.last_index).unwrap()).unwrap();
                    assert_eq!(last.time, u.last_seen);
                    assert_eq!(last.account_id, u.account_id);
                }
            }
        }
    }
    // The rebuilt index is the one the entries give.
    let log = open_log(dir.path(), 4);
    log.wait_indexed().unwrap();
    assert_eq!(close_and_verify(dir.path(), log), 20_000 / 1024);
}

#[test]
fn retention_takes_purged_events_out_of_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let events = traffic(6_000);
    let log = open_log(dir.path(), 2);
    log.append(&events).unwrap();
    log.wait_indexed().unwrap();
    let everything = (t0() - Duration::days(1), t0() + Duration::days(5));
    let before = account_events(&log, "acc_1", everything.0, everything.1, 100_000)
        .unwrap()
        .0;
    assert!(before.len() > 10);
    let victims: Vec<u64> = before.iter().map(|f| f.index).collect();
    assert_eq!(log.purge(&victims).unwrap(), victims.len() as u64);
    let after = account_events(&log, "acc_1", everything.0, everything.1, 100_000)
        .unwrap()
        .0;
    assert!(after.is_empty(), "{after:?}");
    let net = Net::parse("0.0.0.0/0").unwrap();
    let uses = net_accounts(&log, &net, everything.0, everything.1).unwrap();
    assert!(uses.iter().all(|u| u.account_id != "acc_1"));
    assert_eq!(close_and_verify(dir.path(), log), 6_000 / 512);
}

#[test]
fn answers_carry_proofs_against_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), "custos.test/ledger").unwrap();
    let events = traffic(1000);
    ledger.access.append(&events).unwrap();
    let log = &ledger.access;
    let (found, _) = account_events(
        log,
        "acc_3",
        t0() - Duration::days(1),
        t0() + Duration::days(1),
        10,
    )
    .unwrap();
    assert!(!found.is_empty());
    let size = log.size();
    let root = log.root();
    for f in found {
        let p = prove(log, f.index, size).unwrap();
        use base64::Engine;
        let dec = |s: &str| {
            tlog_tiles::Hash(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap()
                    .try_into()
                    .unwrap(),
            )
        };
        let hashes: Vec<tlog_tiles::Hash> = p.hashes.iter().map(|h| dec(h)).collect();
        tlog_tiles::check_record(&hashes, size, root, f.index, dec(&p.leaf_hash)).unwrap();
        assert_eq!(
            dec(&p.leaf_hash),
            tlog_tiles::record_hash(&f.event.encode())
        );
    }
    // The audit log is a log of its own, with its own checkpoint.
    ledger
        .audit
        .append_encoded(vec![b"{\"action\":\"read_customer\"}".to_vec()])
        .unwrap();
    assert_eq!(ledger.audit.size(), 1);
    assert!(
        String::from_utf8(ledger.audit.checkpoint())
            .unwrap()
            .starts_with("custos.test/ledger/audit\n1\n")
    );
    assert!(
        String::from_utf8(ledger.access.checkpoint())
            .unwrap()
            .starts_with("custos.test/ledger/access\n1000\n")
    );
    // The key file is private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("signing.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(ledger.verifier_key().starts_with("custos.test/ledger+"));
}

#[test]
fn one_process_writes_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let first = Ledger::open(dir.path(), "custos.test/ledger").unwrap();
    let second = Ledger::open(dir.path(), "custos.test/ledger");
    assert!(
        matches!(second, Err(custos_ledger::LedgerError::InUse)),
        "{second:?}"
    );
    drop(first);
    Ledger::open(dir.path(), "custos.test/ledger").unwrap();
    assert!(Ledger::open(dir.path(), "has space").is_err());
}

/// An IPv4 address is one address whichever form it was stored in: the events a log holds
/// with the IPv4-mapped form of an address (appended before addresses were read as IPv4)
/// answer the questions about the IPv4 address or network, and the mapped form of either,
/// from the entries and from the index, whole segments or in part.
#[test]
fn mapped_and_ipv4_forms_of_an_address_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let events: Vec<Event> = traffic(3000)
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            let host = i % 5;
            e.ip = match i % 3 {
                0 => ip(&format!("203.0.113.{host}")),
                1 => ip(&format!("::ffff:203.0.113.{host}")),
                _ => ip(&format!("2001:db8::{host}")),
            };
            e
        })
        .collect();
    // The IPv4 address an event's address is or maps, within `net/len`.
    let within = |e: &Event, net: [u8; 4], len: u32| {
        let v4 = match e.ip {
            IpAddr::V4(a) => a,
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(a) => a,
                None => return false,
            },
        };
        let m = u32::MAX.checked_shl(32 - len).unwrap_or(0);
        u32::from(v4) & m == u32::from_be_bytes(net) & m
    };
    let log = open_log(dir.path(), 1);
    log.append(&events).unwrap();
    for indexed in [false, true] {
        if indexed {
            log.wait_indexed().unwrap();
        }
        let windows = [
            (t0() - Duration::days(1), t0() + Duration::days(1)),
            (
                t0() + Duration::seconds(5_003),
                t0() + Duration::seconds(17_111),
            ),
        ];
        for (net, v4, len) in [
            ("203.0.113.2", [203, 0, 113, 2], 32),
            ("::ffff:203.0.113.2", [203, 0, 113, 2], 32),
            ("203.0.113.0/24", [203, 0, 113, 0], 24),
            ("::ffff:203.0.113.0/120", [203, 0, 113, 0], 24),
        ] {
            let n = Net::parse(net).unwrap();
            for (from, to) in windows {
                let mut want: std::collections::BTreeMap<String, u64> = Default::default();
                for e in &events {
                    if within(e, v4, len) && e.time >= from && e.time <= to {
                        *want.entry(e.account_id.clone()).or_default() += 1;
                    }
                }
                assert!(!want.is_empty());
                let got: std::collections::BTreeMap<String, u64> = net_accounts(&log, &n, from, to)
                    .unwrap()
                    .into_iter()
                    .map(|u| (u.account_id, u.count))
                    .collect();
                assert_eq!(got, want, "{net} {from} {to} (indexed: {indexed})");
            }
        }
    }
    assert_eq!(close_and_verify(dir.path(), log), 3000 / 256);
}
