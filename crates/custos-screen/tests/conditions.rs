//! Special-measure conditions are CEL expressions over `account`: the `cel` crate's parser,
//! as custos checks a designations file with it, agrees with cel-python's on what is an
//! expression, and a condition that is not one is refused with the designation and the
//! condition it is.

mod common;
use common::oracle;

use custos_screen::import::{Format, check_condition, import};

const EXPRESSIONS: &[&str] = &[
    "account.offering != 'trial'",
    "account.verification == 'documentary'",
    "account.vcpus <= 4",
    "!account.reseller || size(account.sub_accounts) == 0",
    "account.monitoring in ['enhanced', 'full']",
    "account.country == 'KP' ? false : true",
    "has(account.trial) && !account.trial",
    "account.resources.gpus == 0u",
    "account.balance < 100.5",
    "account.tags.exists(t, t == 'vip')",
    "int(account.vcpus) * 2 < 17",
    "account.id + 'x' != ''",
    "account.limits['vcpus'] <= 8",
    "true",
    "account.vcpus <= 4 &&",
    "account.offering != 'trial",
    "(account.vcpus",
    "account..vcpus",
    "== 4",
    "account.vcpus = 4",
    "account.vcpus <== 4",
    "1 +",
    "account.[0]",
    "account.x ? 1",
    "account.vcpus <= 4)",
    "[account.vcpus",
];

#[test]
fn the_parser_agrees_with_cel_python() {
    let theirs = oracle(
        "cel_parse.py",
        &[],
        EXPRESSIONS.iter().map(|e| format!("{e}\n")).collect(),
    );
    assert_eq!(theirs.len(), EXPRESSIONS.len());
    let (mut valid, mut invalid) = (0, 0);
    for (e, theirs) in EXPRESSIONS.iter().zip(&theirs) {
        let ours = check_condition(e);
        assert_eq!(
            ours.is_ok(),
            theirs == "ok",
            "`{e}`: custos {ours:?}, cel-python {theirs}"
        );
        if ours.is_ok() {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert!(
        valid >= 10 && invalid >= 10,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn a_designation_with_a_bad_condition_is_refused() {
    let dir = std::env::temp_dir().join(format!("custos-conditions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |conditions: &str| {
        format!(
            "[[designation]]\nid = \"sm-1\"\nsubject = {{ kind = \"jurisdiction\", country = \"KP\" }}\nmeasure = \"conditions\"\nconditions = [{conditions}]\neffective = 2027-01-01\nreference = \"x\"\n"
        )
    };
    for (conditions, why) in [
        (
            "\"account.offering != 'trial'\", \"account.vcpus <= 4 &&\"",
            "designation sm-1: condition 2: not a CEL expression",
        ),
        ("\"  \"", "designation sm-1: condition 1: empty"),
    ] {
        let p = dir.join("d.toml");
        std::fs::write(&p, file(conditions)).unwrap();
        let err = import(Format::CustosToml, &p).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
    let p = dir.join("d.toml");
    std::fs::write(
        &p,
        file("\"account.offering != 'trial'\", \"account.vcpus <= 4\""),
    )
    .unwrap();
    let entries = import(Format::CustosToml, &p).unwrap();
    assert_eq!(entries[0].designation.as_ref().unwrap().conditions.len(), 2);
}
