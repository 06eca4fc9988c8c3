//! The phonetic keys of the index (Double Metaphone through `rphonetic`) against an independent
//! implementation, the Python `metaphone` package, on every token of the real OFAC SDN and UN
//! lists. Disagreements are written to `phonetic-report.txt` in Cargo's test scratch directory;
//! the test fails on any that `tests/oracle/phonetic-allowlist.txt` does not list.
//!
//! `.ci/test` installs the oracle (tests/oracle/requirements.txt). Set `CUSTOS_PYTHON` to use
//! another interpreter.

mod common;
use common::peer;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use custos_screen::import::{Format, import};
use custos_screen::index::phonetic;
use custos_screen::names::{NameType, normalize};

#[test]
fn double_metaphone_agrees_with_the_python_port() {
    let sdn = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let un = import(
        Format::UnXml,
        &peer("watchman/test/testdata/UN_consolidated.xml"),
    )
    .unwrap();
    let mut tokens = BTreeSet::new();
    for e in sdn.iter().chain(&un) {
        for n in &e.names {
            for t in normalize(&n.value, NameType::Any).all {
                if t.len() > 1 && t.bytes().all(|b| b.is_ascii_uppercase()) {
                    tokens.insert(t);
                }
            }
        }
    }
    assert!(tokens.len() > 10_000, "{}", tokens.len());
    let input: String = tokens.iter().map(|t| format!("{t}\n")).collect();
    let out = common::oracle("double_metaphone.py", &[], input);
    // rphonetic keeps Apache Commons Codec's default of four characters; the Python port does
    // not cut the code.
    let theirs: Vec<String> = out.iter().map(|l| l.chars().take(4).collect()).collect();
    assert_eq!(theirs.len(), tokens.len());
    let allowed: Vec<String> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/phonetic-allowlist.txt"
    ))
    .unwrap()
    .lines()
    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
    .collect();
    let explained = |t: &str| {
        allowed.iter().any(
            |a| match a.strip_prefix('*').and_then(|a| a.strip_suffix('*')) {
                Some(sub) => t.contains(sub),
                None => a == t,
            },
        )
    };
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("phonetic-report.txt");
    let mut f = std::fs::File::create(&report).unwrap();
    let (mut differ, mut unexplained) = (0usize, vec![]);
    // Far more than the known families would mean a different algorithm, not a port detail.
    let most = tokens.len() / 100;
    for (t, their) in tokens.iter().zip(&theirs) {
        let ours = phonetic(t);
        if &ours != their {
            differ += 1;
            writeln!(f, "{t} custos={ours} metaphone={their}").unwrap();
            if !explained(t) {
                unexplained.push(format!("{t}: custos {ours}, metaphone {their}"));
            }
        }
    }
    eprintln!(
        "{} tokens, {differ} differ; report in {}",
        tokens.len(),
        report.display()
    );
    assert!(differ <= most, "{differ} of {} tokens differ", tokens.len());
    assert!(
        unexplained.is_empty(),
        "{} disagreements not in the allowlist:\n{}",
        unexplained.len(),
        unexplained[..unexplained.len().min(40)].join("\n")
    );
}
