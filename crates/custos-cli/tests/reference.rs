//! The reference lists detection reads, through the CLI as a platform engineer keeps them:
//! imported whole as versions, the same file again writing nothing, a file with one bad line
//! refused with the version in use kept, and lookups reading the newest versions.

mod common;

use common::*;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../custos-screen/tests/data/reference"
);

#[test]
fn reference_lists_are_imported_whole_and_looked_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok_in(d, &["migrate"]);
    let ranges = format!("{DATA}/ranges.csv");
    let out = ok_in(d, &["reference", "import", "ip-ranges", &ranges]);
    assert!(
        out.contains("ip-ranges version 1: 4 entries, now in use"),
        "{out}"
    );
    // The same data again, even laid out otherwise, writes nothing.
    let same = d.join("same.json");
    std::fs::write(
        &same,
        r#"[{"network": "2001:db8::/32", "kind": "hosting", "provider": "Example Cloud"},
            {"start": "198.51.100.0", "end": "198.51.100.127", "kind": "vpn", "provider": "Example VPN"},
            {"network": "203.0.113.7/32", "kind": "tor"},
            {"network": "203.0.113.0/24", "kind": "hosting", "provider": "Example Cloud"}]"#,
    )
    .unwrap();
    let out = ok_in(
        d,
        &["reference", "import", "ip-ranges", same.to_str().unwrap()],
    );
    assert!(
        out.contains("unchanged: the same data as version 1"),
        "{out}"
    );
    // One bad line refuses the whole file, naming the line; version 1 stays in use.
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "network,kind\n192.0.2.0/24,hosting\n192.0.2.999/32,tor\n",
    )
    .unwrap();
    fails_in(
        d,
        &["reference", "import", "ip-ranges", bad.to_str().unwrap()],
        "the version in use stays: line 3: `192.0.2.999/32` is not an address or a network",
    );
    fails_in(
        d,
        &["reference", "import", "ip-range", &ranges],
        "`ip-range` is not a kind of reference list",
    );
    let empty = d.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    fails_in(
        d,
        &[
            "reference",
            "import",
            "disposable-domains",
            empty.to_str().unwrap(),
        ],
        "is empty",
    );
    ok_in(
        d,
        &[
            "reference",
            "import",
            "disposable-domains",
            &format!("{DATA}/domains.txt"),
        ],
    );
    ok_in(
        d,
        &[
            "reference",
            "import",
            "bin-ranges",
            &format!("{DATA}/bins.csv"),
        ],
    );
    let ls: serde_json::Value =
        serde_json::from_str(&ok_in(d, &["reference", "ls", "--json"])).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 3, "{ls}");
    let ip: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["reference", "lookup", "ip", "203.0.113.7", "--json"],
    ))
    .unwrap();
    assert_eq!(ip["kind"], "tor");
    assert_eq!(ip["labels"], serde_json::json!(["hosting", "tor"]));
    let ip: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["reference", "lookup", "ip", "192.0.2.1", "--json"],
    ))
    .unwrap();
    assert_eq!(
        ip["kind"], "unknown",
        "the refused file's range is not in use"
    );
    let dom: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &[
            "reference",
            "lookup",
            "domain",
            "EU.Mailinator.com",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(dom["disposable"], true);
    let bin: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["reference", "lookup", "bin", "41111199", "--json"],
    ))
    .unwrap();
    assert_eq!(bin["funding"], "prepaid");
    fails_in(
        d,
        &["reference", "lookup", "bin", "4111"],
        "first six to eight digits",
    );
    fails_in(
        d,
        &["reference", "lookup", "ip", "nope"],
        "is not an IP address",
    );
    // A newer version replaces what lookups read.
    let more = d.join("more.csv");
    std::fs::write(&more, "network,kind\n192.0.2.0/24,vpn\n").unwrap();
    let out = ok_in(
        d,
        &["reference", "import", "ip-ranges", more.to_str().unwrap()],
    );
    assert!(out.contains("ip-ranges version 2"), "{out}");
    let ip: serde_json::Value = serde_json::from_str(&ok_in(
        d,
        &["reference", "lookup", "ip", "192.0.2.1", "--json"],
    ))
    .unwrap();
    assert_eq!(ip["kind"], "vpn");
}

/// Linked customers are a read of personal data: a blank purpose is refused before anything
/// is read or audited.
#[test]
fn links_need_a_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok_in(d, &["migrate"]);
    fails_in(
        d,
        &["links", "cus_demo_foreign_individual", "--purpose", "  "],
        "invalid field `purpose`: must not be empty",
    );
    fails_in(
        d,
        &["links", "cus_nobody", "--purpose", "case 7\nforged: line"],
        "invalid field `purpose`: must be one line",
    );
    fails_in(
        d,
        &["links", "cus_nobody", "--purpose", "case 7"],
        "customer cus_nobody not found",
    );
}

/// The same file imported by four commands at once is one version: each command succeeds,
/// and the others say it is unchanged.
#[test]
fn one_file_imported_four_times_at_once_is_one_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    ok_in(&d, &["migrate"]);
    let ranges = format!("{DATA}/ranges.csv");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (d, ranges) = (d.clone(), ranges.clone());
            std::thread::spawn(move || custos(&d, &["reference", "import", "ip-ranges", &ranges]))
        })
        .collect();
    for r in runs {
        let o = r.join().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let ls: serde_json::Value =
        serde_json::from_str(&ok_in(&d, &["reference", "ls", "--json"])).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 1, "{ls}");
}

/// `custos links` beside the running server says that links through connecting addresses are
/// not in its answer (the server holds the ledger); once the ledger is the command's, two
/// customers whose accounts connected from one address hours apart are linked through it.
#[test]
fn links_through_an_address_come_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(d, &["demo"]);
    let out = custos(
        d,
        &["links", "cus_demo_us_individual", "--purpose", "case 12"],
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("links through connecting addresses are not in this answer"),
        "{err}"
    );
    drop(server);
    let now = chrono::Utc::now();
    let at = |h: i64| (now - chrono::Duration::hours(h)).to_rfc3339();
    let events = d.join("events.ndjson");
    std::fs::write(
        &events,
        format!(
            "{{\"account_id\": \"acc_demo_us_direct\", \"time\": \"{}\", \"ip\": \"203.0.113.44\", \"action\": \"login\", \"source\": \"sso\"}}\n\
             {{\"account_id\": \"acc_demo_foreign_direct\", \"time\": \"{}\", \"ip\": \"203.0.113.44\", \"action\": \"login\", \"source\": \"sso\"}}\n",
            at(6),
            at(3)
        ),
    )
    .unwrap();
    ok_in(d, &["ingest", "file", events.to_str().unwrap()]);
    let out = ok_in(
        d,
        &["links", "cus_demo_us_individual", "--purpose", "case 12"],
    );
    assert!(
        out.contains("cus_demo_foreign_individual") && out.contains(" ip "),
        "{out}"
    );
    assert!(!out.contains("203.0.113.44"), "{out}");
}
