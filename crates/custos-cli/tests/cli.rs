//! The `custos` binary as an operator meets it: real processes, real ports on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

#[path = "../../custos-ledger/tests/common/disk.rs"]
#[allow(dead_code, reason = "the ledger's tests use the rest")]
mod disk;

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
    start_with(dir, args, &[])
}

/// [`start`] with environment variables set.
fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("CUSTOS_DATA_DIR")
        .envs(env.iter().copied())
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
        "applied 6 migration(s)"
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
    let ok = |args: &[&str]| ok_in(d, args);
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
    let lines = String::from_utf8_lossy(&q.stdout).lines().count();
    assert_eq!(lines, 3, "{}", String::from_utf8_lossy(&q.stdout));
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
    assert!(err.contains("record 1: .: duplicate field `ip`"), "{err}");
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

/// Every KEK in a keyring file as it is on disk.
fn keks_on_disk(path: &Path) -> Vec<custos_store::crypto::SecretKey> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["keks"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| {
            let b = base64_decode(k.as_str().unwrap());
            custos_store::crypto::SecretKey::from_bytes(&b).unwrap()
        })
        .collect()
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// Every file under `dir`, recursively, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, b));
        }
    }
    out
}

/// How many places of `data` open, with one of `keks`, as the wrapped data key of `customer`:
/// an attacker's carving of the data directory.
fn carve(data: &[u8], keks: &[custos_store::crypto::SecretKey], customer: &str) -> usize {
    const WRAPPED: usize = 1 + 24 + 32 + 16;
    let aad = format!("custos:dek:v1:{customer}");
    (0..data.len().saturating_sub(WRAPPED - 1))
        .filter(|&at| data[at] == 1)
        .filter(|&at| {
            keks.iter().any(|k| {
                custos_store::crypto::open(k, aad.as_bytes(), &data[at..at + WRAPPED]).is_ok()
            })
        })
        .count()
}

/// Waits (bounded) until `f` holds, asking again as the server's maintenance runs.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !f().await {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 30 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
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
        &admin,
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
            "ledger_query_network",
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

/// A fresh JetStream stream on the machine's NATS: the context, its name and its subject.
async fn nats_stream(prefix: &str) -> (async_nats::jetstream::Context, String, String) {
    use async_nats::jetstream;
    let client = async_nats::connect("nats://127.0.0.1:4222")
        .await
        .expect("NATS with JetStream on 127.0.0.1:4222 (.ci/test starts it)");
    let js = jetstream::new(client);
    let tag = format!(
        "{prefix}{}x{}",
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
    (js, name, subject)
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

/// Runs `custos ARGS` on `dir`, which must succeed; its standard output.
fn ok_in(dir: &Path, args: &[&str]) -> String {
    let o = custos(dir, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}
