//! Differential tests: every kind that has an independent implementation is run through both
//! sides on thousands of values (generated valid ones and mutated invalid ones, made by
//! `tests/oracle/corpus.py` with a fixed seed). Every disagreement is written to
//! `differential-report.jsonl` in Cargo's test scratch directory, and the test fails on any
//! that `tests/differential-allowlist.toml` does not list with a reason.
//!
//! The oracles are python-stdnum, schwifty, phonenumbers and mrz; `.ci/run` installs them.
//! Set `CUSTOS_PYTHON` to use another interpreter.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;

use custos_ids::{Kind, check};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Row {
    kind: String,
    value: String,
    oracle: String,
    valid: bool,
    normalized: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Allow {
    kind: String,
    oracle: String,
    /// `custos_only` (custos accepts, the oracle refuses), `oracle_only`, or `normalized`.
    direction: String,
    /// One value; without it the entry covers every value of that kind and direction.
    value: Option<String>,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowList {
    allow: Vec<Allow>,
}

/// Kinds whose normalized forms are compared too (the others format differently by design).
const COMPARE_NORMALIZED: &[&str] = &["iban", "phone", "lei", "aba", "ein"];

#[test]
fn custos_ids_agrees_with_independent_implementations() {
    let python = std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/corpus.py");
    let out = Command::new(&python)
        .args([script, "--per-kind", "2000"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "the oracle corpus failed (are python-stdnum, schwifty, phonenumbers, mrz and pycountry installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Row> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let allow: AllowList = toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/differential-allowlist.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    for a in &allow.allow {
        assert!(
            !a.reason.trim().is_empty(),
            "allow-list entry without a reason: {a:?}"
        );
        assert!(
            ["custos_only", "oracle_only", "normalized"].contains(&a.direction.as_str()),
            "{a:?}"
        );
    }
    let allowed = |kind: &str, oracle: &str, dir: &str, value: &str| {
        allow.allow.iter().any(|a| {
            a.kind == kind
                && a.oracle == oracle
                && a.direction == dir
                && a.value.as_deref().is_none_or(|v| v == value)
        })
    };
    let report_path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-report.jsonl");
    let mut report = std::fs::File::create(&report_path).unwrap();
    let mut per_kind: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut summary: BTreeMap<(String, String, String, bool), usize> = BTreeMap::new();
    let mut unallowed = vec![];
    for r in &rows {
        let kind = Kind::parse(&r.kind).unwrap();
        let c = check(&kind, &r.value, None);
        let e = per_kind
            .entry((r.kind.clone(), r.oracle.clone()))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(r.valid);
        let dir = match (c.valid, r.valid) {
            (true, false) => Some("custos_only"),
            (false, true) => Some("oracle_only"),
            (true, true)
                if COMPARE_NORMALIZED.contains(&r.kind.as_str())
                    && r.normalized.is_some()
                    && c.normalized != r.normalized =>
            {
                Some("normalized")
            }
            _ => None,
        };
        if let Some(dir) = dir {
            let ok = allowed(&r.kind, &r.oracle, dir, &r.value);
            writeln!(
                report,
                "{}",
                serde_json::json!({"kind": r.kind, "oracle": r.oracle, "direction": dir, "value": r.value,
                    "custos": {"valid": c.valid, "normalized": c.normalized, "error": c.error},
                    "oracle_result": {"valid": r.valid, "normalized": r.normalized}, "allowed": ok})
            )
            .unwrap();
            *summary
                .entry((r.kind.clone(), r.oracle.clone(), dir.to_owned(), ok))
                .or_default() += 1;
            if !ok {
                unallowed.push(format!(
                    "{} [{}] {dir}: {:?} custos={:?}/{:?} oracle={:?}",
                    r.kind, r.oracle, r.value, c.normalized, c.error, r.normalized
                ));
            }
        }
    }
    eprintln!(
        "{} values compared; per kind (values, oracle-valid):",
        rows.len()
    );
    for ((k, o), (n, v)) in &per_kind {
        eprintln!("  {k:<18} {o:<14} {n:>6} {v:>6}");
    }
    eprintln!(
        "disagreements (kind, oracle, direction, allowed): count; report: {}",
        report_path.display()
    );
    for (k, n) in &summary {
        eprintln!("  {k:?}: {n}");
    }
    for (kind, _) in per_kind.keys() {
        let _ = kind;
    }
    assert!(
        per_kind.values().all(|(n, _)| *n >= 900),
        "every kind gets about a thousand values or more"
    );
    assert!(
        unallowed.is_empty(),
        "{} disagreement(s) not in the allow-list, e.g.:\n{}",
        unallowed.len(),
        unallowed
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
