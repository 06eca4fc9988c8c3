//! The binary as its users run it: the demo, keys, migrations, configuration, identifier checks, the server's limits, private files.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};

#[tokio::test]
async fn demo_serves_seeded_records_and_the_curl_walkthrough_works() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let key = s.admin_key.clone().expect("demo prints the admin key");
    let (st, c) = call(
        &s,
        &key,
        "POST",
        "/v1/customers",
        Some(json!({"individual": {
        "full_name": "Lena Fischer", "citizenships": ["DE"],
        "residence": {"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"}}})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let id = c["customer_id"].as_str().unwrap();
    let (st, a) = call(
        &s,
        &key,
        "POST",
        "/v1/accounts",
        Some(json!({"customer_id": id, "kind": "direct", "offering": "paid"})),
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(a["decision"], "pending");
    let (st, _) = call(&s, &key, "GET", "/v1/accounts/acc_demo_us_direct", None).await;
    assert_eq!(st, 200);
    let (st, doc) = call(&s, &key, "GET", "/openapi.json", None).await;
    assert_eq!(st, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // A second demo on the same directory is refused: it is not fresh.
    let again = custos(dir.path(), &["demo", "--listen", "127.0.0.1:0"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a custos database"));
    drop(s);

    // A new version of the designations that drops the designated person: the import
    // re-screens every stored customer and reports the demo's possible match as resolved.
    let list = dir.path().join("designations.toml");
    std::fs::write(
        &list,
        "[[designation]]\nid = \"demo-002\"\n\
         subject = { kind = \"jurisdiction\", country = \"KP\" }\n\
         measure = \"prohibition\"\neffective = 2026-01-15\n\
         reference = \"Demo designation, not a real determination\"\n",
    )
    .unwrap();
    let imp = custos(
        dir.path(),
        &[
            "lists",
            "import",
            "--allow-shrink",
            "--format",
            "custos-toml",
            list.to_str().unwrap(),
        ],
    );
    let out = String::from_utf8_lossy(&imp.stdout);
    assert!(
        imp.status.success(),
        "{}",
        String::from_utf8_lossy(&imp.stderr)
    );
    assert!(out.contains("0 added, 0 changed, 1 removed"), "{out}");
    assert!(out.contains("re-screened 12 customers"), "{out}");
    // The designations file goes to the one list of designations, its entries bearing the
    // designations' own ids.
    assert!(
        out.contains(
            "- cus_demo_screened scr_a1c16c334f3b0c41e671274d designations/demo-001 (cleared)"
        ),
        "{out}"
    );
    let again = custos(dir.path(), &["lists", "rescreen", "--json"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["screened"], 12);
    assert_eq!(report["new"], json!([]));
    assert_eq!(report["resolved"], json!([]));
}

#[tokio::test]
async fn migrate_keys_rotation_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let m = custos(dir.path(), &["migrate"]);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    assert_eq!(
        String::from_utf8_lossy(&m.stdout).trim(),
        "applied 15 migration(s)"
    );
    let m = custos(dir.path(), &["migrate"]);
    assert_eq!(
        String::from_utf8_lossy(&m.stdout).trim(),
        "applied 0 migration(s)"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keyring.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let bad = custos(dir.path(), &["keys", "create", "--role", "overlord"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role `overlord`"));
    let k = custos(dir.path(), &["keys", "create", "--role", "admin"]);
    assert!(k.status.success());
    let admin = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    assert!(admin.starts_with("custos_"));
    let list = custos(dir.path(), &["keys", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("admin"));
    assert!(!String::from_utf8_lossy(&list.stdout).contains(&admin));
    // The control plane's key: it closes accounts on the customer's request, at once (an
    // admin's close, a person's, would wait for a second person).
    let k = custos(dir.path(), &["keys", "create", "--role", "integrator"]);
    let integrator = String::from_utf8_lossy(&k.stdout).trim().to_owned();

    // Two customers whose only accounts are closed; one of them under legal hold.
    let (gone, held);
    {
        let s = start(dir.path(), &["serve"]);
        let mut ids = vec![];
        for name in ["Closed Customer", "Held Customer"] {
            let (_, c) = call(
                &s,
                &admin,
                "POST",
                "/v1/customers",
                Some(json!({"individual": {"full_name": name}})),
            )
            .await;
            let id = c["customer_id"].as_str().unwrap().to_owned();
            let (_, a) = call(
                &s,
                &admin,
                "POST",
                "/v1/accounts",
                Some(json!({"customer_id": id, "kind": "direct"})),
            )
            .await;
            let acc = a["account_id"].as_str().unwrap();
            let (st, _) = call(
                &s,
                &integrator,
                "POST",
                &format!("/v1/accounts/{acc}/close"),
                Some(json!({"reason": "left"})),
            )
            .await;
            assert_eq!(st, 200);
            ids.push(id);
        }
        let (st, _) = call(
            &s,
            &admin,
            "POST",
            &format!("/v1/customers/{}/legal-holds", ids[1]),
            Some(json!({"reason": "subpoena"})),
        )
        .await;
        assert_eq!(st, 201);
        gone = ids[0].clone();
        held = ids[1].clone();
    }
    let rot = custos(dir.path(), &["keyring", "rotate"]);
    assert!(
        rot.status.success(),
        "{}",
        String::from_utf8_lossy(&rot.stderr)
    );
    assert!(String::from_utf8_lossy(&rot.stdout).contains("kek-0002; re-wrapped 2 data key(s)"));

    let early = custos(dir.path(), &["retention", "run"]);
    assert!(String::from_utf8_lossy(&early.stdout).contains("0 destroyed, 0 kept by legal holds"));
    let bad_time = custos(dir.path(), &["retention", "run", "--as-of", "next tuesday"]);
    assert_eq!(bad_time.status.code(), Some(1));
    let dry = custos(
        dir.path(),
        &[
            "retention",
            "run",
            "--as-of",
            "2040-01-01T00:00:00Z",
            "--dry-run",
        ],
    );
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("1 due (dry run), 1 kept by legal holds")
    );
    let run = custos(
        dir.path(),
        &["retention", "run", "--as-of", "2040-01-01T00:00:00Z"],
    );
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains(&format!("destroyed: {gone}")), "{out}");
    assert!(
        out.contains(&format!("kept by legal hold: {held}")),
        "{out}"
    );

    let s = start(dir.path(), &["serve"]);
    let (st, p) = call(&s, &admin, "GET", &format!("/v1/customers/{gone}"), None).await;
    assert_eq!(st, 410, "{p}");
    assert_eq!(p["type"], "urn:custos:problem:records-destroyed");
    let (st, r) = call(
        &s,
        &admin,
        "GET",
        &format!("/v1/customers/{held}/record"),
        None,
    )
    .await;
    assert_eq!(st, 200, "rotated keys still open the held record: {r}");
    assert_eq!(
        r["customer"]["profile"]["individual"]["full_name"],
        "Held Customer"
    );
    let (_, audit) = call(&s, &admin, "GET", "/v1/audit", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"destroy_customer") && actions.contains(&"rotate_keyring"),
        "{actions:?}"
    );
}

#[test]
fn configuration_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("CUSTOS_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log_format must be `text` or `json`"));
    std::fs::write(dir.path().join("policy.toml"), "version = 1\n").unwrap();
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("CUSTOS_CIP_POLICY", dir.path().join("policy.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid CIP policy") && err.contains("missing field"),
        "{err}"
    );
    let out = custos(
        dir.path(),
        &["serve", "--config", "/nonexistent/custos.toml"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn id_check_answers_in_json_and_exits_zero_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let ok = custos(
        dir.path(),
        &["id", "check", "iban", "GB82 WEST 1234 5698 7654 32"],
    );
    assert_eq!(ok.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        (v["valid"].as_bool(), v["normalized"].as_str()),
        (Some(true), Some("GB82WEST12345698765432"))
    );
    let bad = custos(
        dir.path(),
        &["id", "check", "national-id:BR", "390.533.447-06"],
    );
    assert_eq!(bad.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("br/cpf"));
    for usage in [
        vec!["id", "check", "passport", "X"],
        vec!["id", "check", "national-id:XX", "1"],
        vec!["id", "check", "mrz", "X", "--on", "tomorrow"],
        vec!["id", "check", "iban"],
    ] {
        let r = custos(dir.path(), &usage);
        assert_ne!(r.status.code(), Some(0), "{usage:?}");
        assert!(!r.stderr.is_empty());
    }
    // Batch: one JSON line per input line, in order; mrz lines are JSON strings.
    let mut child = Command::new(BIN)
        .args(["id", "check", "--batch", "mrz", "--on", "2013-01-01"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let zone = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
        writeln!(stdin, "{}", serde_json::to_string(zone).unwrap()).unwrap();
        writeln!(stdin, "not json").unwrap();
        writeln!(
            stdin,
            "{}",
            serde_json::to_string(&zone.replace("7408122", "7408132")).unwrap()
        )
        .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    // A line that is not a JSON string could not be checked: answered, and the exit says so.
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["details"]["expired"], true);
    assert_eq!(lines[1]["valid"], false);
    assert!(lines[2]["error"].as_str().unwrap().contains("check digit"));
}

/// National numbers as people write them: a Finnish code in lower case, a Swedish
/// personnummer as ten digits; each answered in its canonical form.
#[test]
fn id_check_reads_national_numbers_as_people_write_them() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, value, normalized) in [
        ("national-id:FI", "131052-308t", "131052-308T"),
        ("national-id:SE", "8803200016", "880320-0016"),
        ("national-id:SE", "198803200016", "880320-0016"),
    ] {
        let out = custos(dir.path(), &["id", "check", kind, value]);
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["valid"], true, "{kind} {value}: {v}");
        assert_eq!(v["normalized"], normalized, "{kind} {value}");
    }
}

/// schemathesis generates requests from the OpenAPI document (valid, and broken in every way
/// the schema allows) and sends them to a demo server: not one may get a 5xx, and every
/// answer must be what the document says it is (status, media type and body schema).
#[test]
fn generated_requests_never_get_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let key = s.admin_key.clone().unwrap();
    let out = Command::new("schemathesis")
        .args([
            "run",
            &format!("{}/openapi.json", s.url),
            "--checks",
            "not_a_server_error,response_schema_conformance",
        ])
        .args([
            "-H",
            &format!("Authorization: Bearer {key}"),
            "-H",
            "X-Custos-Purpose: api fuzzing",
        ])
        .args([
            "--max-examples",
            "40",
            "--seed",
            "13984",
            "--phases",
            "examples,coverage,fuzzing",
        ])
        .env("NO_COLOR", "1")
        // Its cache goes to the scratch directory, not the source tree.
        .current_dir(dir.path())
        .output()
        .expect("schemathesis runs (pip install -r crates/custos-cli/tests/requirements.txt)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found server errors:\n{report}"
    );
    assert!(report.contains("passed"), "{report}");
}

/// A flood of connections that send nothing: each is closed after the header timeout, the
/// server keeps at most its connection limit, and it answers as soon as slots free up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_limited() {
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().unwrap();
    let s = start_with(
        dir.path(),
        &["serve"],
        &[
            ("CUSTOS_MAX_CONNECTIONS", "64"),
            ("CUSTOS_HEADER_TIMEOUT_SECS", "1"),
        ],
    );
    let addr = s.url.trim_start_matches("http://").to_owned();
    let mut idle = vec![];
    for _ in 0..300 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // Every one of them is closed by the server: at once past the limit, after the header
    // timeout within it.
    let started = std::time::Instant::now();
    for mut c in idle {
        let mut b = [0u8; 16];
        let r = tokio::time::timeout(std::time::Duration::from_secs(10), c.read(&mut b)).await;
        assert!(
            matches!(r, Ok(Ok(0)) | Ok(Err(_))),
            "an idle connection is still open after {:?}",
            started.elapsed()
        );
    }
    // And the server answers.
    let url = format!("{}/healthz", s.url);
    eventually("the server to answer after the flood", || async {
        reqwest::get(&url).await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    // A request that trickles in slower than the timeout is cut too.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut slow, b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut b = [0u8; 256];
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read(&mut b)).await;
    assert!(r.is_ok(), "a request whose headers never end is not cut");
    // And one that sent a byte of a request line (or of HTTP/2's preface) and stopped.
    for start in [&b"P"[..], b"PRI * HTTP/2.0\r\n"] {
        let mut partial = tokio::net::TcpStream::connect(&addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut partial, start)
            .await
            .unwrap();
        let r =
            tokio::time::timeout(std::time::Duration::from_secs(10), partial.read(&mut b)).await;
        assert!(
            r.is_ok(),
            "a connection that sent {start:?} and stopped is not cut"
        );
    }
    // So is one whose body stops coming, with a valid key.
    let k = custos(dir.path(), &["keys", "create", "--role", "integrator"]);
    let key = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut stalled,
        format!(
            "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), stalled.read(&mut b)).await;
    assert!(r.is_ok(), "a request whose body stops coming is not cut");
}

/// Whatever the umask, what custos creates is its owner's alone; a key file others can read
/// is warned about.
#[test]
fn data_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000; exec \"$0\" {args} --data-dir \"$1\""))
            .arg(BIN)
            .arg(&data)
            .env_remove("CUSTOS_DATA_DIR")
            .output()
            .unwrap()
    };
    let out = run("migrate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run("ingest file /dev/null --format ndjson");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut seen = 0;
    let mut check = vec![data.clone()];
    while let Some(p) = check.pop() {
        seen += 1;
        if p.is_dir() {
            assert_eq!(mode(&p), 0o700, "{}", p.display());
            check.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert!(seen > 8, "{seen}");
    std::fs::set_permissions(
        data.join("keyring.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = run("keys list");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("readable by others"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One keyring serves one database: retention in one would retire keys the other needs.
#[test]
fn a_keyring_shared_by_two_databases_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("shared-keyring.json");
    let run = |data: &str, args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(dir.path().join(data))
            .env_remove("CUSTOS_DATA_DIR")
            .env("CUSTOS_KEYRING_PATH", &keyring)
            .output()
            .unwrap()
    };
    let first = run("one", &["keys", "create", "--role", "admin"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(run("one", &["keys", "list"]).status.success());
    let second = run("two", &["keys", "create", "--role", "admin"]);
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("holds the keys of another database"), "{err}");
    // And a server on the second refuses to start.
    let serve = run("two", &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!serve.status.success());
}

/// A client generated from the served OpenAPI document by openapi-python-client (pinned in
/// tests/requirements.txt) runs the README's walk-through with its typed models: every answer
/// must parse as the document says, with no property the document leaves out.
#[test]
fn a_generated_python_client_runs_the_walkthrough() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let key = s.admin_key.clone().unwrap();
    let client_dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/client/walkthrough.py"
        ))
        .args([s.url.as_str(), key.as_str()])
        .arg(client_dir.path())
        // The generator and the generated package's bytecode stay in the scratch directory.
        .current_dir(client_dir.path())
        .output()
        .expect("python3 runs (pip install -r crates/custos-cli/tests/requirements.txt)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the generated client's walk-through failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("walk-through passed"), "{stdout}\n{stderr}");
}

/// `custos webhooks`: an admin's door to the endpoints, as the API's: the secret printed once,
/// a table (or JSON) of endpoints, the delivery log, deletion, and a redelivery refused once
/// the endpoint is gone; wrong input is a clear message and a non-zero exit.
#[test]
fn webhooks_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = ok_in(
        d,
        &[
            "webhooks",
            "add",
            "https://hooks.example.net/custos",
            "--event",
            "account.closed",
        ],
    );
    assert!(secret.trim().starts_with("whsec_"), "{secret}");
    let ls: Value = serde_json::from_str(&ok_in(d, &["webhooks", "ls", "--json"])).unwrap();
    let id = ls[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(ls[0]["event_types"], json!(["account.closed"]));
    assert!(!ls.to_string().contains(secret.trim()), "{ls}");
    let table = ok_in(d, &["webhooks", "ls"]);
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table.contains(&id) && table.contains("account.closed"),
        "{table}"
    );
    assert_eq!(
        ok_in(d, &["webhooks", "deliveries", &id]).trim(),
        "no delivery"
    );
    let page: Value =
        serde_json::from_str(&ok_in(d, &["webhooks", "deliveries", &id, "--json"])).unwrap();
    assert_eq!(page["has_more"], false, "{page}");
    for (args, want) in [
        (&["webhooks", "add", "ftp://x.example"][..], "url"),
        (
            &[
                "webhooks",
                "add",
                "https://x.example",
                "--event",
                "account.closd",
            ][..],
            "unknown type",
        ),
        (&["webhooks", "deliveries", "we_nothing"][..], "we_nothing"),
        (
            &["webhooks", "deliveries", &id, "--starting-after", "bogus"][..],
            "--starting-after",
        ),
        (
            &[
                "webhooks",
                "deliveries",
                &id,
                "--starting-after",
                "whd_nothing",
            ][..],
            "whd_nothing",
        ),
        (
            &["webhooks", "deliveries", &id, "--limit", "0"][..],
            "limit",
        ),
    ] {
        let o = custos(d, args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(
        ok_in(d, &["webhooks", "rm", &id]).trim(),
        format!("deleted {id}")
    );
    let table = ok_in(d, &["webhooks", "ls"]);
    let row = table.lines().nth(1).unwrap();
    assert!(!row.ends_with('-'), "deleted, with its day: {table}");
}

/// A command that only reads, on a mistyped data directory, says there is no installation
/// there and makes none (it answered "no API key" over a new, empty database).
#[test]
fn a_read_on_a_mistyped_data_directory_makes_no_installation() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("custos-dta");
    for args in [
        &["keys", "ls"][..],
        &["lists", "ls"],
        &["webhooks", "ls"],
        &["compliance", "deadlines"],
        &["retention", "run", "--dry-run"],
    ] {
        let o = custos(&typo, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("holds no custos installation"),
            "{args:?}: {err}"
        );
        assert!(!typo.exists(), "{args:?} made {}", typo.display());
    }
    // A command that writes makes one, as before.
    assert!(custos(&typo, &["migrate"]).status.success());
    assert!(custos(&typo, &["keys", "ls"]).status.success());
}

/// `custos users`: the console's people, as an admin keeps them: a password (and a second
/// factor where the role needs one) printed once; a table or JSON; disabling; a new password;
/// a new role. Wrong input is a clear message and a non-zero exit; a running server's sign-in
/// sees each change.
#[tokio::test]
async fn console_users_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok_in(
        d,
        &[
            "users",
            "create",
            "--email",
            "Ana@Example.org",
            "--role",
            "compliance_officer",
        ],
    );
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    let totp = out.lines().find_map(|l| l.strip_prefix("totp: ")).unwrap();
    assert_eq!(totp.len(), 52, "{out}");
    assert!(out.contains("otpauth://totp/"), "{out}");
    let created: Value = serde_json::from_str(&ok_in(
        d,
        &[
            "users",
            "create",
            "--email",
            "rev@example.org",
            "--role",
            "reviewer",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(created["user"]["role"], "reviewer");
    assert_eq!(created["user"]["totp"], false);
    assert!(created.get("totp_secret").is_none());
    let table = ok_in(d, &["users", "ls"]);
    assert!(table.starts_with("EMAIL "), "{table}");
    assert!(table.contains("ana@example.org") && table.contains("compliance_officer"));
    let ls: Value = serde_json::from_str(&ok_in(d, &["users", "ls", "--json"])).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 2);
    assert!(!ls.to_string().contains(&pw) && !ls.to_string().contains("argon2"));
    for (args, want) in [
        (
            vec![
                "users",
                "create",
                "--email",
                "ana@example.org",
                "--role",
                "reviewer",
            ],
            "already exists",
        ),
        (
            vec![
                "users",
                "create",
                "--email",
                "not an email",
                "--role",
                "reviewer",
            ],
            "email",
        ),
        (
            vec![
                "users",
                "create",
                "--email",
                "x@example.org",
                "--role",
                "reseller",
            ],
            "--role must be one of",
        ),
        (
            vec!["users", "disable", "nobody@example.org"],
            "no console user",
        ),
    ] {
        let o = custos(d, &args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // A new password replaces the old one; a disabled user cannot sign in.
    let out = ok_in(d, &["users", "reset-password", "rev@example.org"]);
    assert!(out.contains("password: ") && !out.contains("totp"), "{out}");
    let out = ok_in(
        d,
        &["users", "set-role", "rev@example.org", "--role", "admin"],
    );
    assert!(
        out.contains("is now admin") && out.contains("totp: "),
        "{out}"
    );
    assert!(ok_in(d, &["users", "disable", "rev@example.org"]).contains("disabled"));
    let o = custos(d, &["users", "disable", "rev@example.org"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("already disabled"));
    let ls: Value = serde_json::from_str(&ok_in(d, &["users", "ls", "--json"])).unwrap();
    let rev = ls
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "rev@example.org")
        .unwrap();
    assert!(rev["disabled_at"].is_string(), "{rev}");
    // A server on the directory signs Ana in with her password and code.
    let s = start(d, &["serve"]);
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(format!("{}/console/login", s.url))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let form = r.text().await.unwrap();
    let at = form.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &form[at..at + form[at..].find('"').unwrap()];
    let code = custos_app::users::code_at(totp, chrono::Utc::now()).unwrap();
    let r = c
        .post(format!("{}/console/login", s.url))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf),
            ("email", "ana@example.org"),
            ("password", &pw),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("custos_session=")
    );
}
