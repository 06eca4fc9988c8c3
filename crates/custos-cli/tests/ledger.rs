//! The ledger from the command line: backfills, NATS, queries, exports, a full disk.

mod common;
#[path = "../../custos-ledger/tests/common/disk.rs"]
#[allow(dead_code, reason = "shared with the ledger's tests")]
mod disk;

use common::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};

#[test]
fn ledger_backfill_verify_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let nd = dir.path().join("events.ndjson");
    let mut text = String::new();
    for i in 0..600 {
        text += &format!(
            "{{\"account_id\":\"acc_{}\",\"time\":\"2026-11-2{}T{:02}:{:02}:00Z\",\"ip\":\"203.0.113.{}\",\"action\":\"api_call\",\"source\":\"gw\"}}\n",
            i % 3,
            3 + i / 300,
            (i / 60) % 24,
            i % 60,
            i % 7
        );
    }
    std::fs::write(&nd, &text).unwrap();
    let out = custos(dir.path(), &["ingest", "file", nd.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("600 events appended to the access log (indexes 0..600)")
    );
    let csv = dir.path().join("events.csv");
    std::fs::write(
        &csv,
        "account_id,time,ip,port,action,source,actor\nacc_9,2026-11-25T00:00:00Z,2001:db8::9,22,ssh,bastion,root\nacc_9,2026-11-25T00:01:00Z,2001:db8::9,,logout,bastion,\n",
    )
    .unwrap();
    let out = custos(dir.path(), &["ingest", "file", csv.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A bad record stops the backfill there, and says where and what went in before it.
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"account_id\":\"acc_1\",\"time\":\"2026-11-25T01:00:00Z\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\"}\n{\"account_id\":\"acc_1\",\"time\":\"yesterday\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\"}\n",
    )
    .unwrap();
    let out = custos(dir.path(), &["ingest", "file", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 2: `time`"), "{err}");
    // It says truly what went in: the record before it was in the same batch, so none.
    assert!(
        err.contains("the first 0 events of the file are in the ledger"),
        "{err}"
    );
    assert!(!err.contains("yesterday"), "no value is echoed: {err}");

    let key = custos(dir.path(), &["ledger", "key"]);
    assert!(String::from_utf8_lossy(&key.stdout).starts_with("custos.localhost/ledger+"));
    let v = custos(dir.path(), &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    assert!(String::from_utf8_lossy(&v.stdout).contains("access: 602 entries verified"));

    let q = custos(
        dir.path(),
        &[
            "ledger",
            "query",
            "--account",
            "acc_9",
            "--from",
            "2026-11-24T00:00:00Z",
            "--to",
            "2026-11-26T00:00:00Z",
            "--proof",
            "--json",
            "--purpose",
            "case F-118",
        ],
    );
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let v: Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
    assert_eq!(v["events"][0]["port"], 22);
    assert!(v["events"][0]["proof"]["hashes"].as_array().is_some());
    let q = custos(
        dir.path(),
        &[
            "ledger",
            "query",
            "--ip",
            "203.0.113.0/24",
            "--from",
            "2026-11-23T00:00:00Z",
            "--to",
            "2026-11-25T00:00:00Z",
            "--purpose",
            "case F-118",
        ],
    );
    // A header, then the three accounts.
    let table = String::from_utf8_lossy(&q.stdout).to_string();
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.starts_with("ACCOUNT  EVENTS  FIRST SEEN"), "{table}");
    // A day is taken where a time is (from its start, to its end).
    let by_day = custos(
        dir.path(),
        &[
            "ledger",
            "query",
            "--ip",
            "203.0.113.0/24",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-24",
            "--purpose",
            "case F-118",
        ],
    );
    assert!(
        by_day.status.success(),
        "{}",
        String::from_utf8_lossy(&by_day.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&by_day.stdout), table);
    // What is wrong is said in the flags' own names.
    for (args, want) in [
        (
            &["--ip", "999.1.1.1"][..],
            "--ip `999.1.1.1` is not an address or network",
        ),
        (
            &[
                "--account",
                "acc_1",
                "--from",
                "2026-11-25T00:00:00Z",
                "--to",
                "2026-11-23T00:00:00Z",
            ][..],
            "--from is after --to",
        ),
    ] {
        let mut all = vec!["ledger", "query", "--purpose", "case F-118"];
        all.extend_from_slice(args);
        let bad = custos(dir.path(), &all);
        assert!(!bad.status.success());
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(err.contains(want), "{err}");
    }
    // A reader that stops reading (`| head`) ends the command quietly, not with a panic.
    let mut child = Command::new(BIN)
        .args([
            "ledger",
            "query",
            "--ip",
            "203.0.113.0/24",
            "--from",
            "2026-11-23T00:00:00Z",
        ])
        .args([
            "--to",
            "2026-11-25T00:00:00Z",
            "--purpose",
            "case F-118",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("CUSTOS_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let gone = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&gone.stderr);
    assert!(gone.status.success() && !err.contains("panicked"), "{err}");

    // A flipped byte: verify fails, naming the entry.
    let entries = dir.path().join("ledger/access/entries");
    let mut data = std::fs::read(&entries).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x20;
    std::fs::write(&entries, &data).unwrap();
    let v = custos(dir.path(), &["ledger", "verify", "--log", "access"]);
    assert!(!v.status.success());
    let err = String::from_utf8_lossy(&v.stderr);
    assert!(
        err.contains("the access log does not verify") && err.contains("entry "),
        "{err}"
    );
}

/// `custos ingest nats`, killed with SIGKILL again and again while it consumes, loses no
/// event and duplicates none: every request id is in the ledger exactly once, republished
/// duplicates are dropped, messages that are not events are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_ingest_survives_sigkill_without_loss_or_duplication() {
    let (js, name, subject) = nats_stream("t").await;
    const N: u64 = 3000;
    let ev = |i: u64| {
        format!(
            "{{\"account_id\":\"acc_{}\",\"time\":\"2026-11-24T10:{:02}:{:02}Z\",\"ip\":\"198.51.100.{}\",\"action\":\"api_call\",\"source\":\"gw\",\"request_id\":\"r-{i}\"}}",
            i % 40,
            (i / 60) % 60,
            i % 60,
            i % 250
        )
    };
    let mut acks = vec![];
    for i in 0..N {
        acks.push(js.publish(subject.clone(), ev(i).into()).await.unwrap());
        // Producers retry: some events arrive twice; and some messages are not events.
        if i % 97 == 0 {
            acks.push(js.publish(subject.clone(), ev(i).into()).await.unwrap());
        }
        if i % 1000 == 0 {
            acks.push(
                js.publish(subject.clone(), "not json".into())
                    .await
                    .unwrap(),
            );
        }
    }
    for a in acks {
        a.await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |kill_after: Option<u64>| {
        let mut child = Command::new(BIN)
            .args([
                "ingest",
                "nats",
                "--stream",
                &name,
                "--subject",
                &subject,
                "--batch",
                "150",
                "--exit-when-idle",
                "1",
                "--ack-wait",
                "2",
                "--data-dir",
            ])
            .arg(dir.path())
            .env_remove("CUSTOS_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match kill_after {
            Some(ms) => {
                std::thread::sleep(std::time::Duration::from_millis(ms));
                let _ = child.kill();
                child.wait().unwrap();
            }
            None => {
                let s = child.wait().unwrap();
                assert!(s.success());
            }
        }
    };
    for k in 0..8u64 {
        tokio::task::block_in_place(|| run(Some(150 + (k * 137) % 400)));
    }
    tokio::task::block_in_place(|| run(None));
    let ledger =
        custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.localhost/ledger").unwrap();
    let mut seen = std::collections::HashMap::<String, u32>::new();
    for i in 0..ledger.access.size() {
        let e = custos_ledger::Event::decode(&ledger.access.entry(i).unwrap()).unwrap();
        *seen.entry(e.request_id.unwrap()).or_default() += 1;
    }
    let dup: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "duplicated: {dup:?}");
    assert_eq!(seen.len() as u64, N, "every event arrived");
    drop(ledger);
    let v = custos(dir.path(), &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    js.delete_stream(&name).await.unwrap();
}

/// `custos ledger export` writes Parquet that DuckDB reads as it is: every row, its types, and
/// the leaf hash that ties it to the tree.
#[test]
fn ledger_export_is_parquet_duckdb_reads() {
    let dir = tempfile::tempdir().unwrap();
    let nd = dir.path().join("events.ndjson");
    let mut text = String::new();
    for i in 0..1000 {
        text += &format!(
            "{{\"account_id\":\"acc_{}\",\"time\":\"2026-11-24T{:02}:{:02}:{:02}.000000123Z\",\"ip\":\"{}\",{}\"action\":\"ssh\",\"source\":\"bastion\"{}}}\n",
            i % 7,
            i / 3600,
            (i / 60) % 60,
            i % 60,
            if i % 2 == 0 {
                "203.0.113.5".to_owned()
            } else {
                format!("2001:db8::{i:x}")
            },
            if i % 3 == 0 { "\"port\":22," } else { "" },
            match (i % 5, i % 11) {
                (0, _) => ",\"request_id\":\"r\"",
                (_, 0) =>
                    ",\"ssh_key_fingerprint\":\"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"",
                _ => "",
            },
        );
    }
    std::fs::write(&nd, text).unwrap();
    let out = custos(dir.path(), &["ingest", "file", nd.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pq = dir.path().join("range.parquet");
    let out = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            pq.to_str().unwrap(),
            "--first",
            "100",
            "--end",
            "900",
            "--purpose",
            "case F-118",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("800 events written"));
    let script = r#"
import duckdb, sys
c = duckdb.connect()
q = lambda s: c.execute(s.replace("{P}", "'" + sys.argv[1] + "'")).fetchall()
print(q("SELECT count(*), min(index), max(index), count(port), count(request_id), count(ssh_key_fingerprint) FROM read_parquet({P})")[0])
print(q("SELECT account_id, strftime(time, '%Y-%m-%dT%H:%M:%S.%f'), ip, port, action, source, octet_length(leaf_hash) FROM read_parquet({P}) WHERE index = 102")[0])
print(q("SELECT typeof(time), typeof(port) FROM read_parquet({P}) LIMIT 1")[0])
"#;
    let lines = python_lines(script, &pq);
    let ports = (100..900).filter(|i| i % 3 == 0).count();
    let reqs = (100..900).filter(|i| i % 5 == 0).count();
    let keys = (100..900).filter(|i| i % 5 != 0 && i % 11 == 0).count();
    assert_eq!(
        lines[0],
        format!("(800, 100, 899, {ports}, {reqs}, {keys})")
    );
    assert_eq!(
        lines[1],
        "('acc_4', '2026-11-24T00:01:42.000000', '203.0.113.5', 22, 'ssh', 'bastion', 32)"
    );
    assert_eq!(lines[2], "('TIMESTAMP WITH TIME ZONE', 'USMALLINT')");
    // One account's events, and the checkpoint the export was cut at in the file's metadata.
    let one = dir.path().join("one.parquet");
    let out = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            one.to_str().unwrap(),
            "--account",
            "acc_4",
            "--purpose",
            "case F-118",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = r#"
import duckdb, sys
c = duckdb.connect()
p = "'" + sys.argv[1] + "'"
print(c.execute(f"SELECT count(*), count(DISTINCT account_id), min(account_id) FROM read_parquet({p})").fetchall()[0])
kv = dict((k.decode(), v.decode()) for k, v in c.execute(f"SELECT key, value FROM parquet_kv_metadata({p})").fetchall())
cp = kv["custos.checkpoint"].split("\n")
print(cp[1], cp[3] == "")
print(kv["custos.verifier_key"])
"#;
    let lines = python_lines(script, &one);
    let n = (0..1000).filter(|i| i % 7 == 4).count();
    assert_eq!(lines[0], format!("({n}, 1, 'acc_4')"));
    // The checkpoint's size line is the log's size, and a blank line parts its body from its
    // signature; the key is the one `custos ledger key` prints.
    assert_eq!(lines[1], "1000 True");
    let key = custos(dir.path(), &["ledger", "key"]);
    assert_eq!(lines[2], String::from_utf8_lossy(&key.stdout).trim());
    let bad = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            one.to_str().unwrap(),
            "--account",
            &"x".repeat(300),
            "--purpose",
            "case F-118",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--account"));
    let bad = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            pq.to_str().unwrap(),
            "--first",
            "9",
            "--end",
            "3",
            "--purpose",
            "case F-118",
        ],
    );
    assert!(!bad.status.success());
}

/// A backfill keeps the bound every door keeps on times: not more than clock skew ahead of
/// the clock. The record is named, the value is not repeated.
#[test]
fn ingest_file_refuses_times_ahead_of_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let line = |t: &str| {
        format!(
            "{{\"account_id\":\"acc_1\",\"time\":\"{t}\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\"}}\n"
        )
    };
    for (name, text) in [
        (
            "far.ndjson",
            line("2026-11-24T01:00:00Z") + &line("9999-12-31T00:00:00Z"),
        ),
        (
            "further.ndjson",
            line("2026-11-24T01:00:00Z") + &line("+10000-01-01T00:00:00Z"),
        ),
        (
            "far.csv",
            "account_id,time,ip,action,source\nacc_1,2026-11-24T02:00:00Z,203.0.113.1,login,sso\nacc_1,9999-12-31T00:00:00Z,203.0.113.1,login,sso\n".to_owned(),
        ),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let out = custos(dir.path(), &["ingest", "file", f.to_str().unwrap()]);
        assert!(!out.status.success(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("record 2: `time`: is in the future;"),
            "{name}: {err}"
        );
        assert!(!err.contains("9999") && !err.contains("10000"), "{err}");
    }
    // A minute ahead is clock skew.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let f = dir.path().join("soon.ndjson");
    std::fs::write(&f, line("2026-11-24T01:00:00Z") + &line(&soon)).unwrap();
    let out = custos(dir.path(), &["ingest", "file", f.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("2 events appended"));
}

/// A key given twice in a backfill's line is refused, as the API refuses it, not read as its
/// last value.
#[test]
fn ingest_file_refuses_a_key_given_twice() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("twice.ndjson");
    std::fs::write(
        &f,
        "{\"account_id\":\"acc_1\",\"time\":\"2026-11-24T01:00:00Z\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\",\"ip\":\"198.51.100.1\"}\n",
    )
    .unwrap();
    let out = custos(dir.path(), &["ingest", "file", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 1: `ip`: duplicate field `ip`"),
        "{err}"
    );
    assert!(!err.contains("198.51") && !err.contains("203.0"), "{err}");
}

/// A time a Parquet timestamp in nanoseconds cannot hold (a ledger written before times were
/// bounded may keep one) stops the export, naming the entry: no time is written as another.
#[test]
fn ledger_export_never_changes_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let event = |t: &str| -> custos_ledger::Event {
        serde_json::from_value(json!({"account_id": "acc_1", "time": t,
            "ip": "203.0.113.1", "action": "login", "source": "sso"}))
        .unwrap()
    };
    {
        let ledger =
            custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.localhost/ledger")
                .unwrap();
        ledger
            .access
            .append(&[
                event("2026-11-24T01:00:00Z"),
                event("2262-04-12T00:00:00Z"),
                event("2026-11-24T02:00:00Z"),
            ])
            .unwrap();
    }
    let pq = dir.path().join("all.parquet");
    let out = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            pq.to_str().unwrap(),
            "--purpose",
            "audit",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("entry 1: its time is outside what a Parquet timestamp")
            && err.contains("(--end 1)")
            && err.contains("(--first 2)"),
        "{err}"
    );
    for range in [["--end", "1"], ["--first", "2"]] {
        let mut args = vec![
            "ledger",
            "export",
            pq.to_str().unwrap(),
            "--purpose",
            "audit",
        ];
        args.extend(range);
        let out = custos(dir.path(), &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 events written"));
    }
}

/// `custos ingest nats` keeps the same bound: a message whose time is ahead of the clock is
/// terminated, with its stream sequence and why; the others go in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_ingest_refuses_times_ahead_of_the_clock() {
    let (js, name, subject) = nats_stream("f").await;
    for t in ["2026-11-24T10:00:00Z", "9999-12-31T00:00:00Z"] {
        let ev = format!(
            "{{\"account_id\":\"acc_1\",\"time\":\"{t}\",\"ip\":\"198.51.100.1\",\"action\":\"api_call\",\"source\":\"gw\"}}"
        );
        js.publish(subject.clone(), ev.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::task::block_in_place(|| {
        Command::new(BIN)
            .args([
                "ingest",
                "nats",
                "--stream",
                &name,
                "--subject",
                &subject,
                "--exit-when-idle",
                "1",
                "--data-dir",
            ])
            .arg(dir.path())
            .env_remove("CUSTOS_DATA_DIR")
            .output()
            .unwrap()
    });
    js.delete_stream(&name).await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("stream sequence 2: `time`: is in the future; terminated"),
        "{err}"
    );
    assert!(!err.contains("9999"), "{err}");
    let ledger =
        custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.localhost/ledger").unwrap();
    assert_eq!(ledger.access.size(), 1);
}

#[test]
fn bench_ledger_reports_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = custos(
        dir.path(),
        &[
            "bench",
            "ledger",
            "--events",
            "3000",
            "--http-events",
            "2000",
            "--batch",
            "500",
            "--queries",
            "5",
            "--no-postgres",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["events"], 3000);
    assert!(f["ingest_events_per_s"].as_f64().unwrap() > 0.0);
    assert!(f["http"]["events_per_s"].as_f64().unwrap() > 0.0);
    assert!(f["bytes_per_event"].as_f64().unwrap() > 0.0, "{f}");
    assert!(f["parquet_bytes_per_event"].as_f64().unwrap() > 0.0);
    assert_eq!(f["account_day"]["n"], 5);
    assert_eq!(f["duckdb"]["account_day"]["n"], 5);
    assert!(f["proof"]["p50_us"].as_f64().unwrap() > 0.0);
}

/// `custos serve` killed with SIGKILL again and again while clients send events: every batch it
/// acknowledged is in the ledger, at the indexes it gave, and the ledger verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_ingest_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    assert!(custos(dir.path(), &["migrate"]).status.success());
    let k = custos(dir.path(), &["keys", "create", "--role", "integrator"]);
    let key = String::from_utf8(k.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("custos_"), "{key}");
    let mut acked: Vec<(u64, Vec<String>)> = vec![];
    for round in 0..10u64 {
        let s = tokio::task::block_in_place(|| start(dir.path(), &["serve"]));
        let url = format!("{}/v1/events", s.url);
        let mut tasks = vec![];
        // Batches acknowledged in this round: the kill waits for the first, so that it falls
        // mid-ingest however slow the machine is to start the server.
        let round_acks = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        for client in 0..2u64 {
            let (url, key) = (url.clone(), key.clone());
            let round_acks = round_acks.clone();
            tasks.push(tokio::spawn(async move {
                let c = reqwest::Client::new();
                let mut got = vec![];
                for b in 0..1000u64 {
                    let ids: Vec<String> =
                        (0..300).map(|i| format!("r{round}-{client}-{b}-{i}")).collect();
                    let body: String = ids
                        .iter()
                        .map(|r| {
                            format!(
                                "{{\"account_id\":\"acc_x\",\"time\":\"2026-11-24T10:00:00Z\",\"ip\":\"198.51.100.1\",\"action\":\"api_call\",\"source\":\"gw\",\"request_id\":\"{r}\"}}\n"
                            )
                        })
                        .collect();
                    let Ok(r) = c
                        .post(&url)
                        .bearer_auth(&key)
                        .header("content-type", "application/x-ndjson")
                        .body(body)
                        .send()
                        .await
                    else {
                        break;
                    };
                    if r.status() != 200 {
                        break;
                    }
                    let Ok(v) = r.json::<Value>().await else { break };
                    got.push((v["first"].as_u64().unwrap(), ids));
                    round_acks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                got
            }));
        }
        let began = std::time::Instant::now();
        while round_acks.load(std::sync::atomic::Ordering::Relaxed) == 0
            && began.elapsed() < std::time::Duration::from_secs(20)
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150 + round * 41 % 300)).await;
        drop(s); // SIGKILL, wherever the server is.
        for t in tasks {
            acked.extend(t.await.unwrap());
        }
    }
    assert!(
        acked.len() > 10,
        "only {} batches were acknowledged",
        acked.len()
    );
    let ledger =
        custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.localhost/ledger").unwrap();
    for (first, ids) in &acked {
        for (j, id) in ids.iter().enumerate() {
            let e = custos_ledger::Event::decode(&ledger.access.entry(first + j as u64).unwrap())
                .unwrap();
            assert_eq!(
                e.request_id.as_deref(),
                Some(id.as_str()),
                "index {}",
                first + j as u64
            );
        }
    }
    drop(ledger);
    let v = custos(dir.path(), &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}

/// The server on a disk that fills up: events are refused with 503 `ledger-unavailable` and
/// `/readyz` says not ready; once space is freed it is ready again and takes events; killed
/// then, its ledger verifies and holds every event it acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_refused_cleanly_and_survives_a_crash() {
    let disk = disk::SmallDisk::new(24 << 20);
    let dir = disk.path().join("data");
    assert!(custos(&dir, &["migrate"]).status.success());
    let k = custos(&dir, &["keys", "create", "--role", "integrator"]);
    let key = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    let s = start(&dir, &["serve"]);
    let c = reqwest::Client::new();
    let mut batch_no = 0u64;
    let mut post = || {
        batch_no += 1;
        let body: String = (0..400)
            .map(|i| {
                format!(
                    "{{\"account_id\":\"acc_{}\",\"time\":\"2026-11-24T10:00:00Z\",\"ip\":\"198.51.{}.{}\",\"action\":\"api_call\",\"source\":\"gw\",\"request_id\":\"b{batch_no}-{i}-{:x}\"}}\n",
                    i % 37,
                    batch_no % 250,
                    i % 250,
                    (batch_no * 7919 + i) * 2_654_435_761
                )
            })
            .collect();
        c.post(format!("{}/v1/events", s.url))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
    };
    let readyz = format!("{}/readyz", s.url);
    let ready = || async { reqwest::get(&readyz).await.unwrap().status() };
    let mut acked = 0u64;
    for _ in 0..5 {
        let r = post().await.unwrap();
        assert_eq!(r.status(), 200);
        acked += 400;
    }
    let filler = disk.fill(64 * 1024);
    let mut refused = None;
    for _ in 0..200 {
        let r = post().await.unwrap();
        if r.status() == 200 {
            acked += 400;
            continue;
        }
        refused = Some((r.status().as_u16(), r.json::<Value>().await.unwrap()));
        break;
    }
    let (status, problem) = refused.expect("the disk never filled up");
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "urn:custos:problem:ledger-unavailable");
    assert_eq!(ready().await, 503);
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(ready().await, 200);
    for _ in 0..3 {
        let r = post().await.unwrap();
        assert_eq!(r.status(), 200, "after space was freed");
        acked += 400;
    }
    drop(s); // SIGKILL
    let v = custos(&dir, &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    assert!(
        String::from_utf8_lossy(&v.stdout).contains(&format!("access: {acked} entries verified")),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let s = start(&dir, &["serve"]);
    let again = reqwest::get(format!("{}/readyz", s.url)).await.unwrap();
    assert_eq!(again.status(), 200);
}

/// What a Python script prints, a line each, given `arg` (the test's oracle: DuckDB).
fn python_lines(script: &str, arg: &std::path::Path) -> Vec<String> {
    let py = Command::new(std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", script])
        .arg(arg)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}
