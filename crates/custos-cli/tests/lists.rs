//! `custos lists`, `custos screen`, `custos names` and designations from the command line.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

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
    let ls = String::from_utf8_lossy(&custos(&data, &["lists", "ls", "--json"]).stdout).to_string();
    let ls: Value = serde_json::from_str(&ls).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 1, "{ls}");
    assert_eq!(ls[0]["current"], true, "{ls}");
    assert_eq!(ls[0]["entries"], 7379, "{ls}");
    assert_eq!(ls[0]["version"], 1, "{ls}");
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
    // Versions are numbered within their list: zala's first is its version 1.
    assert!(String::from_utf8_lossy(&named.stdout).starts_with("zala: version 1 with "));
    let ls: Value = serde_json::from_slice(&custos(d, &["lists", "ls", "--json"]).stdout).unwrap();
    let current: Vec<&Value> = ls
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["current"] == true)
        .collect();
    assert_eq!(current.len(), 2, "{ls}");
    // Said to be a new version of the same list, it is one.
    let newer = import(&["--new-version"], &zala);
    assert!(
        newer.status.success(),
        "{}",
        String::from_utf8_lossy(&newer.stderr)
    );
    assert!(
        String::from_utf8_lossy(&newer.stdout).starts_with("entities: version 2 with "),
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
    let ls: Value = serde_json::from_str(&ok(&["lists", "ls", "--json"])).unwrap();
    let measure = |list: &str| {
        ls.as_array()
            .unwrap()
            .iter()
            .find(|v| v["list"] == list)
            .unwrap_or_else(|| panic!("{list}: {ls}"))["measure"]
            .clone()
    };
    assert_eq!(measure("ofac-sdn"), "prohibition", "{ls}");
    assert_eq!(measure("bis-dpl"), "review", "{ls}");
    assert_eq!(measure("de-donations"), "informational", "{ls}");
    // People get a table with a header, the same columns.
    let table = ok(&["lists", "ls"]);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "LIST",
            "VERSION",
            "CURRENT",
            "RETRIEVED",
            "ENTRIES",
            "FORMAT",
            "MEASURE",
            "HASH",
            "SOURCE"
        ],
        "{table}"
    );
    assert_eq!(table.lines().count(), 4, "{table}");
    // A list that is not there is said to be not there (it said "no list imported yet").
    for args in [&["lists", "ls", "nosuch"][..], &["lists", "diff", "nosuch"]] {
        let o = custos(d, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no list is named nosuch"), "{args:?}: {err}");
    }

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
    assert!(out.contains("bis-dpl: version 2"), "{out}");
    let ls = ok(&["lists", "ls", "bis-dpl"]);
    let rows: Vec<&str> = ls.lines().skip(1).collect();
    assert!(
        rows[0].contains("prohibition") && rows[1].contains("review"),
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
    assert!(String::from_utf8_lossy(&none.stderr).contains("holds no custos installation"));
    assert!(custos(dir.path(), &["migrate"]).status.success());
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
    // As the API answers it: the versions screened against, each numbered in its list.
    assert!(v["threshold"].is_f64(), "{v}");
    let mut screened: Vec<(String, i64)> = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["list"].as_str().unwrap().to_owned(),
                l["version"].as_i64().unwrap(),
            )
        })
        .collect();
    screened.sort();
    assert_eq!(screened, [("ofac-sdn".into(), 1), ("un".into(), 1)], "{v}");
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
            r#"{"name": "Dmitry Khoroshev", "date_of_brith": "1974"}"#.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(!got[0]["hits"].as_array().unwrap().is_empty(), "{got:?}");
    // A misspelt field is refused, named, as the API refuses it: not screened without it.
    assert_eq!(got[5]["line"], 6, "{got:?}");
    assert!(
        got[5]["error"]
            .as_str()
            .unwrap()
            .contains("`date_of_brith`"),
        "{got:?}"
    );
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
    assert!(err.contains("4 of 6 lines failed"), "{err}");

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

/// `custos bench customers` on a small customer base: seeded, screened twice against the
/// real lists (hits planted among them found), certified; a wrong argument refused.
#[test]
fn bench_customers_screens_and_certifies_a_customer_base() {
    let dir = tempfile::tempdir().unwrap();
    let peer_data = peer("");
    let out = custos(
        dir.path(),
        &[
            "bench",
            "customers",
            "--peer-data",
            peer_data.to_str().unwrap(),
            "--customers",
            "600",
            "--planted-every",
            "50",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["customers"], 600);
    assert!(
        r["subjects"].as_u64().unwrap() > 600,
        "entities have owners: {r}"
    );
    assert!(r["accounts"].as_u64().unwrap() >= 600, "{r}");
    assert!(
        r["first_new_cases"].as_u64().unwrap() >= 5,
        "planted names are found: {r}"
    );
    assert_eq!(r["rescreening_new_cases"], 0, "{r}");
    assert_eq!(r["certified_customers"], 600, "{r}");
    for k in [
        "first_screening_seconds",
        "rescreening_seconds",
        "certification_seconds",
    ] {
        assert!(r[k].as_f64().unwrap() > 0.0, "{k}: {r}");
    }
    let out = custos(
        dir.path(),
        &[
            "bench",
            "customers",
            "--customers",
            "10",
            "--backend",
            "oracle",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown backend `oracle`"), "{err}");
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
