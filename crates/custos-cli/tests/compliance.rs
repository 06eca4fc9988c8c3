//! The compliance officer's commands, and retention while a server runs.

mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn compliance_officer_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| ok_in(d, args);
    let fails = |args: &[&str], why: &str| {
        let o = custos(d, args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    };
    let out = ok(&[
        "designations",
        "add",
        "--id",
        "sm-1",
        "--jurisdiction",
        "KP",
        "--reference",
        "92 FR 1",
    ]);
    assert!(out.contains("designation sm-1 entered"), "{out}");
    let soon = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    fails(
        &[
            "designations",
            "add",
            "--id",
            "sm-2",
            "--jurisdiction",
            "IR",
            "--effective",
            &soon,
            "--reference",
            "x",
        ],
        "180 days",
    );
    fails(
        &["designations", "add", "--id", "sm-3", "--reference", "x"],
        "--jurisdiction or --person",
    );
    let ls: Value = serde_json::from_str(&ok(&["designations", "ls", "--json"])).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 1);
    assert_eq!(ls[0]["status"], "scheduled");
    // A header, then sm-1 taking effect and ending.
    let schedule = ok(&["designations", "schedule"]);
    assert_eq!(schedule.lines().count(), 3, "{schedule}");
    assert!(schedule.starts_with("DATE "), "{schedule}");
    let pv = ok(&["designations", "preview", "sm-1"]);
    assert!(pv.contains("of 0 customers: 0 reached"), "{pv}");
    fails(&["designations", "preview", "sm-9"], "sm-9");
    let sweep: Value = serde_json::from_str(&ok(&["compliance", "sweep", "--json"])).unwrap();
    assert_eq!(sweep["transitions"], json!([]));

    fails(&["report", "certification"], "no program profile");
    let profile = d.join("profile.json");
    std::fs::write(
        &profile,
        r#"{"provider_name": "Example Cloud LLC",
        "cip_contact": {"name": "Dana Whitfield", "email": "cip@example.net"},
        "detection_resources": ["abuse desk"], "reseller_oversight": "yearly CIP reviews"}"#,
    )
    .unwrap();
    ok(&["compliance", "profile", "set", profile.to_str().unwrap()]);
    std::fs::write(&profile, r#"{"provider_name": "x"}"#).unwrap();
    fails(
        &["compliance", "profile", "set", profile.to_str().unwrap()],
        "not a program profile",
    );
    let json: Value =
        serde_json::from_str(&ok(&["report", "certification", "--format", "json"])).unwrap();
    assert_eq!(json["customers"]["total"], 0);
    assert_eq!(json["provider_name"], "Example Cloud LLC");
    fails(&["report", "certification", "--format", "pdf"], "--out");
    let pdf = d.join("cert.pdf");
    ok(&[
        "report",
        "certification",
        "--annual",
        "--format",
        "pdf",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-1.5"));
    let html = ok(&["report", "certification", "--format", "html"]);
    assert!(html.contains("<h2>CIP contact</h2>"));

    // The initial certification is due 90 days after the program started: on the calendar
    // of the next 400 days.
    let cal: Value = serde_json::from_str(&ok(&[
        "compliance",
        "deadlines",
        "--json",
        "--within",
        "400",
    ]))
    .unwrap();
    assert!(
        cal.as_array()
            .unwrap()
            .iter()
            .any(|d| d["clock"] == "initial_certification"),
        "{cal}"
    );
    // A signer without a title: refused before anything is filed.
    fails(
        &["compliance", "certify", "--signer", "Dana Whitfield"],
        "--title",
    );
    let out = ok(&[
        "compliance",
        "certify",
        "--signer",
        "Dana Whitfield",
        "--title",
        "Chief Compliance Officer",
    ]);
    assert!(out.contains("initial certification filed"), "{out}");
    let filed: Value =
        serde_json::from_str(&ok(&["compliance", "filings", "--json"])).unwrap_or_default();
    assert!(
        filed.to_string().contains("Chief Compliance Officer"),
        "the signer is recorded: {filed}"
    );
    // Filed once: the initial certification again is refused.
    fails(
        &["compliance", "certify"],
        "initial certification was recorded",
    );
    let cal = ok(&["compliance", "deadlines", "--within", "400"]);
    assert!(
        cal.contains("annual_certification") && !cal.contains("initial_certification"),
        "{cal}"
    );

    let zip = d.join("package.zip");
    fails(
        &["resellers", "cips", "export", zip.to_str().unwrap()],
        "provider's own CIP",
    );
    let cip = d.join("our-cip.md");
    std::fs::write(&cip, "# Our CIP\n").unwrap();
    ok(&["compliance", "document", "cip", cip.to_str().unwrap()]);
    let exe = d.join("cip.exe");
    std::fs::write(&exe, "MZ").unwrap();
    fails(
        &["compliance", "document", "cip", exe.to_str().unwrap()],
        ".pdf, .md",
    );
    let out = ok(&[
        "resellers",
        "requests",
        "add",
        "--by",
        "Commerce",
        "--reference",
        "R-1",
    ]);
    let req = out.split(':').next().unwrap().to_owned();
    let out = ok(&[
        "resellers",
        "cips",
        "export",
        zip.to_str().unwrap(),
        "--request",
        &req,
    ]);
    assert!(out.contains("1 documents"), "{out}");
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK"));
    // A table: the request is fulfilled (its FULFILLED column holds the day, not `open`).
    let requests = ok(&["resellers", "requests", "ls"]);
    assert!(requests.starts_with("ID "), "{requests}");
    let row = requests.lines().nth(1).unwrap();
    assert!(
        !row.ends_with("open") && row.ends_with(&chrono::Utc::now().format("%Y-%m-%d").to_string()),
        "{requests}"
    );

    fails(&["keys", "create", "--role", "reseller"], "scope");
    fails(
        &[
            "keys",
            "create",
            "--role",
            "reseller",
            "--scope",
            "acc_nothing",
        ],
        "no account acc_nothing",
    );
    let out = ok(&[
        "compliance",
        "exemptions",
        "add",
        "--basis",
        "ADP",
        "--provider",
        "--requirement",
        "reverification",
    ]);
    assert!(out.contains("granted"), "{out}");
    fails(
        &[
            "compliance",
            "exemptions",
            "add",
            "--basis",
            "ADP",
            "--requirement",
            "verification",
        ],
        "name one scope",
    );
    fails(
        &[
            "compliance",
            "exemptions",
            "add",
            "--basis",
            "ADP",
            "--provider",
            "--requirement",
            "everything",
        ],
        "--requirement",
    );
    // A header and the one exemption, its scope and requirements as the API names them.
    let ls = ok(&["compliance", "exemptions", "ls"]);
    assert_eq!(ls.lines().count(), 2, "{ls}");
    let row = ls.lines().nth(1).unwrap();
    assert!(row.contains("  provider  reverification  "), "{ls}");
    assert!(row.ends_with("ADP") && !ls.contains('{'), "{ls}");
    // `--reason` is the flag's name; `--basis` above is its old name, still accepted.
    let out = ok(&[
        "compliance",
        "exemptions",
        "add",
        "--reason",
        "Customer-specific arrangement",
        "--account-kind",
        "direct",
        "--offering",
        "trial",
        "--requirement",
        "verification",
    ]);
    assert!(out.contains("granted"), "{out}");
    let ls = ok(&["compliance", "exemptions", "ls"]);
    assert!(ls.contains("account type direct trial"), "{ls}");
    assert!(
        !ls.contains("AccountType {") && !ls.contains("Some("),
        "{ls}"
    );
    assert_eq!(ok(&["resellers", "ls"]), "no reseller\n");
    fails(
        &["resellers", "flag", "acc_nothing", "--reason", "x"],
        "acc_nothing",
    );
    fails(
        &["resellers", "flag", "not-an-id", "--reason", "x"],
        "not an account id",
    );
    fails(
        &["resellers", "close", "nc_x", "--outcome", "forgiven"],
        "resolved or terminated",
    );
    fails(&["resellers", "report", "nc_x", "--text", "x"], "nc_x");
    let dev = ok(&[
        "compliance",
        "adp",
        "deviation",
        "--at",
        "2026-01-02T03:04:05Z",
        "--description",
        "late triage",
    ]);
    let id = dev.split(':').next().unwrap().to_owned();
    ok(&[
        "compliance",
        "adp",
        "notified",
        &id,
        "--reference",
        "notice 1",
    ]);
    fails(
        &["compliance", "adp", "notified", &id, "--reference", "again"],
        "already notified",
    );
    let adp: Value = serde_json::from_str(&ok(&["compliance", "adp", "show", "--json"])).unwrap();
    let table = ok(&["compliance", "adp", "show"]);
    assert!(
        table.contains("DEVIATION ") && table.contains("late triage") && !table.contains('{'),
        "{table}"
    );
    assert_eq!(adp["deviations"][0]["notice_reference"], "notice 1");
}

/// Retention run by the CLI while the server holds the ledger: the customer is destroyed at
/// once, the server purges the ledger events and retires the keys within its maintenance
/// interval, the CLI's audit records reach the ledger's audit log, and afterwards nothing in
/// the data directory (the keyring included) gives the record back. The export and every
/// ledger read of the CLI still work after the purge, and are audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_while_the_server_runs_reaches_the_ledger_and_leaves_nothing_to_carve() {
    let dir = tempfile::tempdir().unwrap();
    assert!(custos(dir.path(), &["migrate"]).status.success());
    let k = custos(dir.path(), &["keys", "create", "--role", "admin"]);
    let admin = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    // The control plane's key closes the account on the customer's request, at once.
    let k = custos(dir.path(), &["keys", "create", "--role", "integrator"]);
    let integrator = String::from_utf8_lossy(&k.stdout).trim().to_owned();
    let s = start_with(
        dir.path(),
        &["serve"],
        &[("CUSTOS_MAINTENANCE_INTERVAL_SECS", "1")],
    );
    // The ledger's public key is given while the server holds the ledger.
    let key = custos(dir.path(), &["ledger", "key"]);
    assert!(
        key.status.success(),
        "{}",
        String::from_utf8_lossy(&key.stderr)
    );
    assert!(String::from_utf8_lossy(&key.stdout).starts_with("custos.localhost/ledger+"));
    // A second server on the same directory refuses to start.
    let second = custos(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("in use by another custos server"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let (st, c) = call(
        &s,
        &admin,
        "POST",
        "/v1/customers",
        Some(
            json!({"individual": {"full_name": "Ottilie Carvalho-Brandt",
            "date_of_birth": "1981-02-03", "citizenships": ["PT"],
            "residence": {"line1": "Rua Augusta 12", "city": "Lisboa", "country": "PT"}}}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let gone = c["customer_id"].as_str().unwrap().to_owned();
    let (st, r) = call(
        &s,
        &admin,
        "POST",
        &format!("/v1/customers/{gone}/contacts"),
        Some(json!({"kind": "email", "value": "ottilie.carvalho@example.org"})),
    )
    .await;
    assert!(st < 300, "{r}");
    let (_, a) = call(
        &s,
        &admin,
        "POST",
        "/v1/accounts",
        Some(json!({"customer_id": gone, "kind": "direct", "offering": "paid"})),
    )
    .await;
    let acc = a["account_id"].as_str().unwrap().to_owned();
    let events: Vec<Value> = (0..300)
        .map(|i| {
            json!({"account_id": acc, "time": format!("2026-11-24T10:{:02}:{:02}Z", i / 60, i % 60),
                "ip": "198.51.100.77", "action": "login", "source": "console",
                "user_agent": "CarveAgent/9.1", "request_id": format!("carve-req-{i}")})
        })
        .collect();
    let (st, r) = call(&s, &admin, "POST", "/v1/events", Some(Value::Array(events))).await;
    assert_eq!(st, 200, "{r}");
    let (st, _) = call(
        &s,
        &integrator,
        "POST",
        &format!("/v1/accounts/{acc}/close"),
        Some(json!({"reason": "left"})),
    )
    .await;
    assert_eq!(st, 200);

    // A dry run while the server holds the ledger says it cannot count the ledger's part.
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
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        out.contains("not counted (the running server holds the ledger)"),
        "{out}"
    );
    let run = custos(
        dir.path(),
        &["retention", "run", "--as-of", "2040-01-01T00:00:00Z"],
    );
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains(&format!("destroyed: {gone}")), "{out}");
    assert!(
        out.contains("wait to be purged by the running server"),
        "{out}"
    );
    let path =
        format!("/v1/accounts/{acc}/events?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z");
    eventually("the server to purge the account's events", || async {
        let (st, v) = call(&s, &admin, "GET", &path, None).await;
        st == 200 && v["events"].as_array().is_some_and(|e| e.is_empty())
    })
    .await;
    eventually("the server to retire the keys", || async {
        keks_on_disk(&dir.path().join("keyring.json")).len() == 1
    })
    .await;
    let (_, ips) = call(
        &s,
        &admin,
        "GET",
        "/v1/ips/198.51.100.77/accounts?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(ips["accounts"], json!([]), "{ips}");
    drop(s);

    // The CLI's ledger reads work after the purge, and are audited.
    let pq = dir.path().join("all.parquet");
    let ex = custos(
        dir.path(),
        &[
            "ledger",
            "export",
            pq.to_str().unwrap(),
            "--purpose",
            "retention check",
        ],
    );
    assert!(
        ex.status.success(),
        "{}",
        String::from_utf8_lossy(&ex.stderr)
    );
    assert!(String::from_utf8_lossy(&ex.stdout).contains("300 events written"));
    let q = custos(
        dir.path(),
        &[
            "ledger",
            "query",
            "--ip",
            "198.51.100.0/24",
            "--from",
            "2026-11-01T00:00:00Z",
            "--purpose",
            "retention check",
        ],
    );
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "");
    let no_purpose = custos(dir.path(), &["ledger", "query", "--account", &acc]);
    assert!(!no_purpose.status.success());
    let v = custos(dir.path(), &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    std::fs::remove_file(&pq).unwrap();

    // Every audit record reached the ledger's audit log, the CLI's (written while the server
    // held the ledger) included.
    {
        let ledger =
            custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.localhost/ledger")
                .unwrap();
        let actions: Vec<String> = (0..ledger.audit.size())
            .map(|i| {
                let v: Value = serde_json::from_slice(&ledger.audit.entry(i).unwrap()).unwrap();
                v["entry"]["action"].as_str().unwrap().to_owned()
            })
            .collect();
        for want in [
            "destroy_customer",
            "retire_keys",
            "ledger_export",
            "query_ip_accounts",
        ] {
            assert!(
                actions.iter().any(|a| a == want),
                "{want} not in {actions:?}"
            );
        }
    }

    // Carving: nothing under the data directory opens as the destroyed customer's data key
    // with any key the keyring holds, and nothing of the events is left in clear.
    let keks = keks_on_disk(&dir.path().join("keyring.json"));
    for (p, data) in files_under(dir.path()) {
        assert_eq!(
            carve(&data, &keks, &gone),
            0,
            "{} gives the key back",
            p.display()
        );
        for needle in ["CarveAgent/9.1", "carve-req-1", "ottilie", "Carvalho"] {
            assert!(
                !data.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds `{needle}`",
                p.display()
            );
        }
    }
}
