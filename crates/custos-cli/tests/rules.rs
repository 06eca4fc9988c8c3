//! Backtesting red-flag rules through the CLI, as a compliance officer tries a rule set before
//! putting it in the policy: the rules in use again change nothing; a harsh set shows every
//! decision it would change, and changes none; a rule with a typo, or a file without rules, is
//! refused naming what is wrong.

mod common;

use common::*;

const SHIPPED: &str = include_str!("../../../policy/detection.toml");

fn backtest(d: &std::path::Path, name: &str, text: &str) -> serde_json::Value {
    let f = d.join(name);
    std::fs::write(&f, text).unwrap();
    let out = ok_in(d, &["rules", "backtest", f.to_str().unwrap(), "--json"]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_candidate_rule_set_is_backtested_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _server = start(d, &["demo"]);
    let same = backtest(d, "same.toml", SHIPPED);
    assert!(same["customers"].as_u64().unwrap() > 5, "{same}");
    assert_eq!(same["changed"], 0, "{same}");
    let harsh = SHIPPED.to_owned()
        + "\n[[detection.rules]]\nid = \"everyone\"\nwhen = \"true\"\nscore = 100\nreason = \"ALL\"\n";
    let b = backtest(d, "harsh.toml", &harsh);
    let everyone = b["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "everyone")
        .unwrap()
        .clone();
    assert_eq!(everyone["now"], 0, "{b}");
    assert_eq!(everyone["candidate"], b["customers"], "{b}");
    assert!(b["changed"].as_u64().unwrap() > 0, "{b}");
    // Nothing changed: the same backtest again finds the same decisions to change.
    let again = backtest(d, "harsh.toml", &harsh);
    assert_eq!(again["changed"], b["changed"]);
    let typo = d.join("typo.toml");
    std::fs::write(
        &typo,
        SHIPPED.replace(
            "when = \"ip.kind == 'hosting'\"",
            "when = \"ip.knd == 'hosting'\"",
        ),
    )
    .unwrap();
    fails_in(
        d,
        &["rules", "backtest", typo.to_str().unwrap()],
        "detection rule `hosting_address`: `ip.knd` is not a field",
    );
    let none = d.join("none.toml");
    std::fs::write(&none, "[screening]\n").unwrap();
    fails_in(
        d,
        &["rules", "backtest", none.to_str().unwrap()],
        "has no [detection] section",
    );
}
