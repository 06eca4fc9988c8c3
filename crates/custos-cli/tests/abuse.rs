//! Abuse reports through the CLI, as an abuse desk works beside a running server: a report
//! naming an account opens a case, the case is listed, suspended and dismissed; a typo in a
//! category or an action is refused with the words that are allowed.

mod common;

use common::*;

#[test]
fn an_abuse_desk_reports_and_works_a_case_beside_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _server = start(d, &["demo"]);
    let evidence = d.join("evidence.txt");
    std::fs::write(
        &evidence,
        "outbound SSH brute force\n12,000 attempts in an hour\n",
    )
    .unwrap();
    let ev = evidence.to_str().unwrap();
    fails_in(
        d,
        &[
            "abuse",
            "report",
            "--account",
            "acc_demo_us_direct",
            "--category",
            "brute",
            "--evidence",
            ev,
        ],
        "--category `brute` is not one of: scanning, phishing",
    );
    fails_in(
        d,
        &[
            "abuse",
            "report",
            "--account",
            "acc_demo_us_direct",
            "--category",
            "fraud",
            "--evidence",
            ev,
            "--wallet",
            "eth:0x52908400098527886E0F7030069857D2E4169Ee7",
        ],
        "`wallets[0]`: is not a wallet address (`ADDRESS` or `CHAIN:ADDRESS`): fails the EIP-55 checksum",
    );
    let out = ok_in(
        d,
        &[
            "abuse",
            "report",
            "--account",
            "acc_demo_us_direct",
            "--category",
            "scanning",
            "--evidence",
            ev,
            "--reference",
            "ticket 77",
            "--wallet",
            "eth:0x52908400098527886E0F7030069857D2E4169EE7",
            "--json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let case = r["cases"][0]["id"].as_str().unwrap().to_owned();
    let out = ok_in(d, &["abuse", "ls", "--state", "open"]);
    assert!(
        out.contains(&case) && out.contains("acc_demo_us_direct"),
        "{out}"
    );
    fails_in(
        d,
        &["abuse", "act", &case, "suspnd"],
        "the action `suspnd` is not one of",
    );
    let out = ok_in(
        d,
        &["abuse", "act", &case, "suspend", "--note", "confirmed"],
    );
    assert!(out.contains("suspend"), "{out}");
    fails_in(d, &["abuse", "act", &case, "suspend"], "suspended already");
    let out = ok_in(d, &["abuse", "evidence", &case, "--purpose", "ticket 77"]);
    assert!(out.contains("12,000 attempts"), "{out}");
    // The wallet, as custos keeps it: its chain, and EVM hex in lowercase.
    assert!(
        out.contains("ethereum:0x52908400098527886e0f7030069857d2e4169ee7"),
        "{out}"
    );
    let out = ok_in(
        d,
        &[
            "abuse",
            "act",
            &case,
            "dismiss",
            "--note",
            "a pentest the customer announced",
        ],
    );
    assert!(out.contains("the case is closed"), "{out}");
    let out = ok_in(d, &["abuse", "ls", "--state", "closed"]);
    assert!(
        out.contains(&case) && out.contains("suspend, dismiss"),
        "{out}"
    );
}
