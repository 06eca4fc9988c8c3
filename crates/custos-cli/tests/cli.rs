//! The `custos` binary as an operator meets it: real processes, real ports on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_custos");

fn custos(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("CUSTOS_DATA_DIR")
        .output()
        .expect("custos runs")
}

struct Server {
    child: Child,
    url: String,
    admin_key: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `custos ARGS --listen 127.0.0.1:0` and reads its announced address (and admin key).
fn start(dir: &Path, args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("CUSTOS_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("custos starts");
    let stdout = child.stdout.take().unwrap();
    // Its log, kept to say why it stopped if it does not start.
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    // From here on the server is reaped by Drop, whatever happens.
    let mut server = Server {
        child,
        url: String::new(),
        admin_key: None,
    };
    let mut out = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = server.child.wait();
            let log = log.join().unwrap_or_default();
            let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join("\n");
            panic!("custos exited before listening: {tail}");
        }
        if let Some(k) = line.strip_prefix("admin key: ") {
            server.admin_key = Some(k.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("listening on ") {
            server.url = u.trim().to_owned();
            return server;
        }
    }
}

async fn call(
    s: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let c = reqwest::Client::new();
    let mut r = c
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .bearer_auth(key)
        .header("x-custos-purpose", "cli test");
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

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
    assert!(
        out.contains(
            "- cus_demo_screened scr_bb66024f6c1f45f758e0bf87 special-measures/custos-demo-001 (cleared)"
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
        "applied 5 migration(s)"
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
                &admin,
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

/// schemathesis generates requests from the OpenAPI document (valid, and broken in every way
/// the schema allows) and sends them to a demo server: not one may get a 5xx.
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
            "not_a_server_error",
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

fn peer(rel: &str) -> std::path::PathBuf {
    let base = std::env::var("CUSTOS_PEER_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data")
        });
    base.join(rel)
}

#[test]
fn lists_are_imported_as_versions_and_a_broken_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sdn = peer("watchman/test/testdata/sdn.csv");
    let first = custos(
        &data,
        &[
            "lists",
            "import",
            "--format",
            "ofac-csv",
            sdn.to_str().unwrap(),
        ],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).starts_with("ofac-sdn: version 1 with 7379 entries")
    );
    let again = custos(
        &data,
        &[
            "lists",
            "import",
            "--format",
            "ofac-csv",
            sdn.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("unchanged since version 1"));
    // A later download that broke off half-way: refused, and version 1 stays current.
    let cut_dir = dir.path().join("cut");
    std::fs::create_dir_all(&cut_dir).unwrap();
    let text = std::fs::read_to_string(&sdn).unwrap();
    std::fs::write(
        cut_dir.join("sdn.csv"),
        format!("{}\"BROKEN", &text[..text.len() / 2]),
    )
    .unwrap();
    let broken = custos(
        &data,
        &[
            "lists",
            "import",
            "--format",
            "ofac-csv",
            "--name",
            "ofac-sdn",
            cut_dir.join("sdn.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("its current version stays"));
    let ls = String::from_utf8_lossy(&custos(&data, &["lists", "ls"]).stdout).to_string();
    assert_eq!(ls.lines().count(), 1, "{ls}");
    assert!(
        ls.contains("(current)") && ls.contains("7379 entries"),
        "{ls}"
    );
    // Cut at a line boundary, with its companions: well-formed, but half the list.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(cut_dir.join("sdn.csv"), lines[..lines.len() / 2].join("\n")).unwrap();
    for c in ["add.csv", "alt.csv", "sdn_comments.csv"] {
        std::fs::copy(sdn.with_file_name(c), cut_dir.join(c)).unwrap();
    }
    let half = custos(
        &data,
        &[
            "lists",
            "import",
            "--format",
            "ofac-csv",
            cut_dir.join("sdn.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(half.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&half.stderr).contains("--allow-shrink"));
    // A real change: a new version whose diff says what changed.
    let fewer: String = text
        .lines()
        .filter(|l| !l.starts_with("36,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let edit_dir = dir.path().join("edit");
    std::fs::create_dir_all(&edit_dir).unwrap();
    std::fs::write(edit_dir.join("sdn.csv"), fewer).unwrap();
    for c in ["add.csv", "alt.csv", "sdn_comments.csv"] {
        std::fs::copy(sdn.with_file_name(c), edit_dir.join(c)).unwrap();
    }
    let second = custos(
        &data,
        &[
            "lists",
            "import",
            "--format",
            "ofac-csv",
            edit_dir.join("sdn.csv").to_str().unwrap(),
        ],
    );
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("version 2 with 7378 entries"),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    let diff =
        String::from_utf8_lossy(&custos(&data, &["lists", "diff", "ofac-sdn"]).stdout).to_string();
    assert!(
        diff.contains("0 added, 0 changed, 1 removed") && diff.contains("- ofac-36"),
        "{diff}"
    );
    let unknown = custos(&data, &["lists", "import", "--format", "pdf", "x"]);
    assert_eq!(unknown.status.code(), Some(1));
}

/// Two OpenSanctions exports are both `entities.ftm.json`: imported without a name, the second
/// would have replaced the first under the default name `entities`. It is refused, saying how
/// to import it (its own `--name`, or `--new-version` when it is a new version of that list),
/// and the first stays as it was.
#[test]
fn lists_sharing_a_default_name_do_not_replace_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t1 = peer("yente/tests/fixtures/dataset/t1/entities.ftm.json");
    let zala = peer("yente/tests/fixtures/dataset/zala/entities.ftm.json");
    let import = |extra: &[&str], file: &Path| {
        let mut args = vec!["lists", "import", "--format", "ftm-json", "--no-rescreen"];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        custos(d, &args)
    };
    let first = import(&[], &t1);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first_out = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        first_out.starts_with("entities: version 1 with "),
        "{first_out}"
    );
    let ls_before = custos(d, &["lists", "ls"]).stdout;

    let second = import(&[], &zala);
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("entities was not imported")
            && err.contains("--name")
            && err.contains("--new-version"),
        "{err}"
    );
    assert_eq!(custos(d, &["lists", "ls"]).stdout, ls_before);

    // Named, it is a list of its own; the first is untouched.
    let named = import(&["--name", "zala"], &zala);
    assert!(
        named.status.success(),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
    assert!(String::from_utf8_lossy(&named.stdout).starts_with("zala: version 2 with "));
    let ls = String::from_utf8_lossy(&custos(d, &["lists", "ls"]).stdout).to_string();
    assert_eq!(ls.matches("(current)").count(), 2, "{ls}");
    // Said to be a new version of the same list, it is one.
    let newer = import(&["--new-version"], &zala);
    assert!(
        newer.status.success(),
        "{}",
        String::from_utf8_lossy(&newer.stderr)
    );
    assert!(
        String::from_utf8_lossy(&newer.stdout).starts_with("entities: version 3 with "),
        "{}",
        String::from_utf8_lossy(&newer.stdout)
    );
}

/// What a list's hits do is set when it is imported, with a default per format (a prohibition
/// for OFAC and the UN, review for BIS's Denied Persons, the CSL and OpenSanctions datasets),
/// kept with the version and shown by `lists ls`.
#[test]
fn a_list_carries_the_measure_it_was_imported_with() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let o = custos(d, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let sdn = peer("watchman/internal/ofactest/testdata/sdn.csv");
    let dpl = peer("watchman/test/testdata/dpl.txt");
    let donations = peer("yente/tests/fixtures/dataset/parteispenden/entities.ftm.json");
    ok(&[
        "lists",
        "import",
        "--no-rescreen",
        "--format",
        "ofac-csv",
        sdn.to_str().unwrap(),
    ]);
    ok(&[
        "lists",
        "import",
        "--no-rescreen",
        "--format",
        "bis-dpl",
        dpl.to_str().unwrap(),
    ]);
    ok(&[
        "lists",
        "import",
        "--no-rescreen",
        "--format",
        "ftm-json",
        "--name",
        "de-donations",
        "--measure",
        "informational",
        donations.to_str().unwrap(),
    ]);
    let ls = ok(&["lists", "ls"]);
    let measure = |list: &str| {
        ls.lines()
            .find(|l| l.starts_with(&format!("{list}\t")))
            .unwrap_or_else(|| panic!("{list}: {ls}"))
            .split('\t')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        measure("ofac-sdn").contains(&"prohibition".to_owned()),
        "{ls}"
    );
    assert!(measure("bis-dpl").contains(&"review".to_owned()), "{ls}");
    assert!(
        measure("de-donations").contains(&"informational".to_owned()),
        "{ls}"
    );

    // The same content under another measure is a new version carrying it.
    let out = ok(&[
        "lists",
        "import",
        "--no-rescreen",
        "--format",
        "bis-dpl",
        "--measure",
        "prohibition",
        dpl.to_str().unwrap(),
    ]);
    assert!(out.contains("bis-dpl: version 4"), "{out}");
    let ls = ok(&["lists", "ls", "bis-dpl"]);
    assert!(
        ls.lines().next().unwrap().contains("prohibition") && ls.contains("review"),
        "{ls}"
    );

    let bad = custos(
        d,
        &[
            "lists",
            "import",
            "--format",
            "bis-dpl",
            "--measure",
            "maybe",
            dpl.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("prohibition, review or informational"));
    let toml = d.join("designations.toml");
    std::fs::write(
        &toml,
        "[[designation]]\nid = \"sm-1\"\nsubject = { kind = \"jurisdiction\", country = \"KP\" }\nmeasure = \"prohibition\"\neffective = 2027-01-01\nreference = \"x\"\n",
    )
    .unwrap();
    let bad = custos(
        d,
        &[
            "lists",
            "import",
            "--format",
            "custos-toml",
            "--measure",
            "review",
            toml.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("its own measure"));
}

#[test]
fn names_compare_scores_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let score = |args: &[&str]| -> f64 {
        let out = custos(dir.path(), args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    assert!(
        score(&[
            "names",
            "compare",
            "PUTIN, Vladimir",
            "Владимир Путин",
            "--type",
            "person"
        ]) > 0.9
    );
    assert!(
        score(&[
            "names",
            "compare",
            "ACME CORP",
            "ZENITH CORP",
            "--type",
            "organization"
        ]) < 0.6
    );
    let bad = custos(
        dir.path(),
        &["names", "compare", "A", "B", "--type", "vessel"],
    );
    assert_eq!(bad.status.code(), Some(1));
    let mut cmd = Command::new(BIN);
    cmd.args(["names", "compare", "--batch"]);
    let out = batch(
        cmd,
        &[
            r#"{"a": "JSCARGUMENT", "b": "JSC ARGUMENT", "type": "organization"}"#.to_string(),
            r#"{"a": "John Smith", "b": "Maria Garcia"}"#.to_string(),
        ],
    );
    let scores: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(scores.len(), 2);
    assert!(scores[0] > 0.95 && scores[1] < 0.6, "{scores:?}");
}

#[test]
fn screen_finds_listed_names_and_explains() {
    let dir = tempfile::tempdir().unwrap();
    let none = custos(dir.path(), &["screen", "--name", "Abu Abbas"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no list imported"));
    let sdn = peer("watchman/test/testdata/sdn.csv");
    let un = peer("watchman/test/testdata/UN_consolidated.xml");
    assert!(
        custos(
            dir.path(),
            &[
                "lists",
                "import",
                "--format",
                "ofac-csv",
                sdn.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    assert!(
        custos(
            dir.path(),
            &[
                "lists",
                "import",
                "--format",
                "un-xml",
                un.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    let out = custos(
        dir.path(),
        &[
            "screen",
            "--name",
            "Eric Badege",
            "--type",
            "person",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lists: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["list"].as_str().unwrap())
        .collect();
    assert!(lists.contains(&"un") && lists.contains(&"ofac-sdn"), "{v}");
    assert!(
        v["hits"][0]["explanation"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("BADEGE")
    );
    let bad = custos(dir.path(), &["screen", "--name", "X", "--dob", "last year"]);
    assert_eq!(bad.status.code(), Some(1));
    let mut cmd = Command::new(BIN);
    cmd.args(["screen", "--batch", "--data-dir"])
        .arg(dir.path());
    let out = batch(
        cmd,
        &[
            r#"{"name": "BANCO NACIONAL DE CUBA", "type": "organization"}"#.to_string(),
            r#"{"name": "Zxqv Wprtk"}"#.to_string(),
        ],
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["hits"][0]["entity_id"], "ofac-306");
    assert!(lines[1]["hits"].as_array().unwrap().is_empty());
}

/// Every `--batch` command answers every line, in order: a line that cannot be answered (a
/// date of birth on the 32nd, a line that is not JSON, a pair missing a name, a zone that is
/// not a JSON string) gets an object naming it, the lines after it still get theirs, and the
/// exit status says that some failed. What the line held is not echoed back.
#[test]
fn batch_commands_answer_every_line_and_fail_when_one_did() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sdn = peer("watchman/internal/ofactest/testdata/sdn.csv");
    let o = custos(
        d,
        &[
            "lists",
            "import",
            "--no-rescreen",
            "--format",
            "ofac-csv",
            sdn.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = |out: &std::process::Output| -> Vec<Value> {
        String::from_utf8(out.stdout.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let mut cmd = Command::new(BIN);
    cmd.args(["screen", "--batch", "--data-dir"]).arg(d);
    let out = batch(
        cmd,
        &[
            r#"{"name": "KHOROSHEV, Dmitry Yuryevich", "type": "person"}"#.to_string(),
            r#"{"name": "Dmitry Khoroshev", "dob": "1974-01-32"}"#.to_string(),
            "not json".to_string(),
            r#"{"name": "Dmitry Khoroshev", "country": "Atlantis"}"#.to_string(),
            r#"{"name": "Zxqv Wprtk"}"#.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(!got[0]["hits"].as_array().unwrap().is_empty(), "{got:?}");
    for (i, n) in [(1, 2), (2, 3), (3, 4)] {
        assert_eq!(got[i]["line"], n, "{got:?}");
        assert!(got[i]["error"].is_string(), "{got:?}");
        assert!(got[i].get("hits").is_none());
    }
    assert!(got[1]["error"].as_str().unwrap().contains("date of birth"));
    assert_eq!(got[4]["hits"], json!([]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("1974-01-32") && !text.contains("Atlantis"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 of 5 lines failed"), "{err}");

    let mut cmd = Command::new(BIN);
    cmd.args(["names", "compare", "--batch"]);
    let out = batch(
        cmd,
        &[
            r#"{"a": "John Smith", "b": "Maria Garcia"}"#.to_string(),
            r#"{"a": "John Smith"}"#.to_string(),
            r#"{"a": "JSCARGUMENT", "b": "JSC ARGUMENT", "type": "vessel"}"#.to_string(),
            r#"{"a": "JSCARGUMENT", "b": "JSC ARGUMENT", "type": "organization"}"#.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].as_f64().unwrap() < 0.6);
    assert_eq!(got[1]["line"], 2);
    assert_eq!(got[2]["line"], 3);
    assert!(got[3].as_f64().unwrap() > 0.95);

    // Invalid values are answers; a zone that is not a JSON string is a line that failed.
    let mut cmd = Command::new(BIN);
    cmd.args(["id", "check", "--batch", "iban"]);
    let out = batch(cmd, &["GB82 WEST 1234 5698 7654 32".into(), "GB00".into()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&out).len(), 2);
    let mut cmd = Command::new(BIN);
    cmd.args(["id", "check", "--batch", "mrz"]);
    let out = batch(
        cmd,
        &["\"P<D<<\"".into(), "P<D<<".into(), "\"I<UTO\"".into()],
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[1]["valid"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 3 lines failed"));
}

/// Runs a batch command with `lines` on its standard input.
fn batch(mut cmd: Command, lines: &[String]) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn bench_screen_reports_its_figures_and_refuses_missing_lists() {
    let dir = tempfile::tempdir().unwrap();
    let peer_data = peer("");
    let out = custos(
        dir.path(),
        &[
            "bench",
            "screen",
            "--peer-data",
            peer_data.to_str().unwrap(),
            "--names",
            "3000",
            "--queries",
            "200",
            "--no-baseline",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fp = &report["false_positives"];
    assert_eq!(fp["subjects"], 2000, "{fp}");
    assert!(
        fp["corroborated"].as_u64().unwrap() <= fp["name_only"].as_u64().unwrap(),
        "{fp}"
    );
    let figures = report["corpora"].as_array().unwrap();
    assert_eq!(figures.len(), 2, "the real lists and the synthetic one");
    assert_eq!(figures[1]["names"], 3000);
    for f in figures {
        assert!(f["queries"].as_u64().unwrap() > 100, "{f}");
        assert!(f["p50_us"].as_f64().unwrap() > 0.0, "{f}");
        assert!(f["p99_us"].as_f64().unwrap() >= f["p50_us"].as_f64().unwrap());
        assert!(f["source_in_top10"].as_f64().unwrap() > 0.8, "{f}");
    }

    let out = custos(
        dir.path(),
        &[
            "bench",
            "screen",
            "--peer-data",
            "/nonexistent",
            "--names",
            "0",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read /nonexistent/watchman/test/testdata/sdn.csv"),
        "{err}"
    );
    assert_eq!(
        err.matches("No such file").count(),
        1,
        "the cause is said once: {err}"
    );
}

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
    // A bad record stops the backfill there, says where, and keeps what came before.
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"account_id\":\"acc_1\",\"time\":\"2026-11-25T01:00:00Z\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\"}\n{\"account_id\":\"acc_1\",\"time\":\"yesterday\",\"ip\":\"203.0.113.1\",\"action\":\"login\",\"source\":\"sso\"}\n",
    )
    .unwrap();
    let out = custos(dir.path(), &["ingest", "file", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 2: time"), "{err}");
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
        ],
    );
    let lines = String::from_utf8_lossy(&q.stdout).lines().count();
    assert_eq!(lines, 3, "{}", String::from_utf8_lossy(&q.stdout));

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
    use async_nats::jetstream;
    let client = async_nats::connect("nats://127.0.0.1:4222")
        .await
        .expect("NATS with JetStream on 127.0.0.1:4222 (.ci/test starts it)");
    let js = jetstream::new(client);
    let tag = format!(
        "t{}x{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let name = format!("CUSTOS_TEST_{tag}");
    let subject = format!("custos.test.{tag}.events");
    js.create_stream(jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
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
            if i % 5 == 0 {
                ",\"request_id\":\"r\""
            } else {
                ""
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
print(q("SELECT count(*), min(index), max(index), count(port), count(request_id) FROM read_parquet({P})")[0])
print(q("SELECT account_id, strftime(time, '%Y-%m-%dT%H:%M:%S.%f'), ip, port, action, source, octet_length(leaf_hash) FROM read_parquet({P}) WHERE index = 102")[0])
print(q("SELECT typeof(time), typeof(port) FROM read_parquet({P}) LIMIT 1")[0])
"#;
    let py = Command::new(std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", script])
        .arg(&pq)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let ports = (100..900).filter(|i| i % 3 == 0).count();
    let reqs = (100..900).filter(|i| i % 5 == 0).count();
    assert_eq!(lines[0], format!("(800, 100, 899, {ports}, {reqs})"));
    assert_eq!(
        lines[1],
        "('acc_4', '2026-11-24T00:01:42.000000', '203.0.113.5', 22, 'ssh', 'bastion', 32)"
    );
    assert_eq!(lines[2], "('TIMESTAMP WITH TIME ZONE', 'USMALLINT')");
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
        ],
    );
    assert!(!bad.status.success());
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
        for client in 0..2u64 {
            let (url, key) = (url.clone(), key.clone());
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
                }
                got
            }));
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

/// A compliance officer's commands, on a fresh data directory: designations and their lead
/// time, the sweep, the program profile and documents, the certification as PDF, the
/// calendar, the CIP package and a request it answers, exemptions; each mistake a clear
/// message and a non-zero exit.
/// A condition naming a field accounts do not have is refused by `designations add` and by a
/// designations file's import alike, naming the field, and nothing is stored.
#[test]
fn designation_conditions_naming_no_field_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = custos(
        d,
        &[
            "designations",
            "add",
            "--id",
            "sm-typo",
            "--jurisdiction",
            "BY",
            "--condition",
            "account.offerng != 'trial'",
            "--reference",
            "92 FR 3",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("condition 1: `account.offerng` is not a field"),
        "{err}"
    );
    let file = d.join("designations.toml");
    std::fs::write(
        &file,
        "[[designation]]\nid = \"sm-typo\"\nsubject = { kind = \"jurisdiction\", country = \"BY\" }\nmeasure = \"conditions\"\nconditions = [\"account.offerng != 'trial'\"]\neffective = 2027-01-01\nreference = \"92 FR 3\"\n",
    )
    .unwrap();
    let o = custos(
        d,
        &[
            "lists",
            "import",
            "--format",
            "custos-toml",
            file.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("designation sm-typo: condition 1: `account.offerng` is not a field"),
        "{err}"
    );
    let ls = custos(d, &["designations", "ls", "--json"]);
    assert!(ls.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&ls.stdout).unwrap(),
        json!([])
    );
    let ls = custos(d, &["lists", "ls"]);
    assert_eq!(
        String::from_utf8_lossy(&ls.stdout).trim(),
        "no list imported yet"
    );
}

#[test]
fn compliance_officer_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let o = custos(d, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
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
    assert_eq!(ok(&["designations", "schedule"]).lines().count(), 2);
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

    let cal: Value = serde_json::from_str(&ok(&["compliance", "deadlines", "--json"])).unwrap();
    assert_eq!(cal[0]["clock"], "initial_certification");
    let out = ok(&["compliance", "certify"]);
    assert!(out.contains("initial certification filed"), "{out}");
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
    assert!(ok(&["resellers", "requests", "ls"]).contains("fulfilled"));

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
    assert_eq!(ok(&["compliance", "exemptions", "ls"]).lines().count(), 1);
    assert_eq!(ok(&["resellers", "ls"]), "");
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
    let adp: Value = serde_json::from_str(&ok(&["compliance", "adp", "show"])).unwrap();
    assert_eq!(adp["deviations"][0]["notice_reference"], "notice 1");
}
