//! Names across scripts: the evaluation set of tests/data/scripts (pairs of a name in its own
//! script and the same name in Latin letters, from public lists and independent romanisers;
//! see its README), matched at the default threshold, script by script, beside nomenklatura's
//! logic-v2 on the same pairs.

use std::collections::BTreeMap;

use custos_screen::names::{NameType, compare};
use custos_screen::screen::DEFAULT_THRESHOLD;

/// logic-v2's own threshold (yente's default for it).
const LOGIC_V2_THRESHOLD: f64 = 0.7;

struct Pair {
    script: String,
    original: String,
    latin: Vec<String>,
    logic_v2: f64,
}

fn pairs() -> Vec<Pair> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scripts/pairs.tsv");
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .from_path(path)
        .unwrap();
    r.deserialize::<BTreeMap<String, String>>()
        .map(|rec| {
            let rec = rec.unwrap();
            Pair {
                script: rec["script"].clone(),
                original: rec["original"].clone(),
                latin: rec["latin"].split(" | ").map(str::to_owned).collect(),
                logic_v2: rec["logic_v2"].parse().unwrap(),
            }
        })
        .collect()
}

/// What each script of the set is matched for at least, in percent of its pairs: the goal, 95
/// for every script (see docs/BENCHMARKS.md).
const FLOORS: &[(&str, f64)] = &[
    ("Arabic", 95.0),
    ("Armenian", 95.0),
    ("Burmese", 95.0),
    ("Cyrillic", 95.0),
    ("Devanagari", 95.0),
    ("Georgian", 95.0),
    ("Greek", 95.0),
    ("Han", 95.0),
    ("Hangul", 95.0),
    ("Hebrew", 95.0),
    ("Khmer", 95.0),
    ("Latin", 95.0),
    ("Thai", 95.0),
];

/// Every script of the set matched at the default threshold for at least its floor.
#[test]
fn every_script_is_matched_at_the_default_threshold() {
    let mut by_script: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut missed = vec![];
    for p in pairs() {
        let score = p
            .latin
            .iter()
            .map(|l| compare(&p.original, l, NameType::Person))
            .fold(0.0, f64::max);
        let e = by_script.entry(p.script.clone()).or_default();
        e.0 += 1;
        if score >= DEFAULT_THRESHOLD {
            e.1 += 1;
        } else {
            missed.push(format!(
                "{}: {} ~ {}: {score:.3}",
                p.script, p.original, p.latin[0]
            ));
        }
        e.2 += usize::from(p.logic_v2 >= LOGIC_V2_THRESHOLD);
    }
    eprintln!(
        "| script | pairs | custos at {DEFAULT_THRESHOLD} | logic-v2 at {LOGIC_V2_THRESHOLD} |"
    );
    eprintln!("|---|---:|---:|---:|");
    for (s, (n, ours, theirs)) in &by_script {
        eprintln!(
            "| {s} | {n} | {:.1}% | {:.1}% |",
            100.0 * *ours as f64 / *n as f64,
            100.0 * *theirs as f64 / *n as f64
        );
    }
    for m in &missed {
        eprintln!("missed {m}");
    }
    let short: Vec<String> = by_script
        .iter()
        .filter(|(s, (n, ours, _))| {
            let floor = FLOORS
                .iter()
                .find(|(f, _)| f == s)
                .map_or(95.0, |(_, f)| *f);
            100.0 * (*ours as f64) < floor * (*n as f64)
        })
        .map(|(s, (n, ours, _))| format!("{s}: {ours} of {n}"))
        .collect();
    assert!(short.is_empty(), "under the floor: {short:?}");
}

/// A screener over one person listed under `name`.
fn screener_of(name: &str) -> custos_screen::screen::Screener {
    let e: custos_screen::ListEntity = serde_json::from_value(serde_json::json!({
        "id": "e1",
        "kind": "person",
        "names": [{"value": name, "kind": "primary"}],
    }))
    .unwrap();
    custos_screen::screen::Screener::build([("list".to_owned(), e)])
}

/// A name listed in its own script is found by the same name in that script, and by its
/// romanisation: a name in syllables counts 0.92 against a name in Latin letters, not twice
/// over against itself.
#[test]
fn a_name_listed_in_its_own_script_is_found() {
    use custos_screen::screen::Query;
    for (listed, queries) in [
        ("김정은", &["김정은", "Kim Jong Un", "金正恩"][..]),
        ("金正恩", &["金正恩", "김정은"][..]),
        ("山田太郎", &["山田太郎", "Yamada Taro"][..]),
        ("عبد الله", &["عبد الله", "Abdullah"][..]),
    ] {
        assert!(
            compare(listed, listed, NameType::Person) >= 0.99,
            "{listed} against itself"
        );
        let s = screener_of(listed);
        for q in queries {
            let hits = s.screen(
                &Query {
                    name: (*q).to_owned(),
                    name_type: NameType::Person,
                    ..Default::default()
                },
                None,
            );
            assert_eq!(hits.len(), 1, "{q} against {listed}");
        }
    }
}

/// Screening scores a name in the Arabic script and its Latin form as comparing them does,
/// whichever of the two is listed: the index's skeletons (kept for each token) and the
/// query's (made once) are those the comparison makes.
#[test]
fn screening_scores_as_comparing_does() {
    use custos_screen::screen::Query;
    let pairs = [
        ("رشيد طعان كاظم", "Rashid Taan Kathim"),
        (
            "موسى بن عمر بن علي السعدي",
            "MOUSSA BEN OMAR BEN ALI ESSAADI",
        ),
        ("عدنان أبو وليد الصحراوي", "ADNAN ABOU WALID AL-SAHRAOUI"),
        (
            "اشرف محمد يوسف عثمان عبد السلام",
            "ASHRAF MUHAMMAD YUSUF 'UTHMAN 'ABD AL-SALAM",
        ),
        ("ميتش ماكونيل", "Mitch McConnell"),
    ];
    for (a, b) in pairs {
        for (listed, query) in [(a, b), (b, a)] {
            let s = screener_of(listed);
            let q = Query {
                name: query.to_owned(),
                name_type: NameType::Person,
                ..Default::default()
            };
            let expected = compare(query, listed, NameType::Person);
            for hits in [s.screen(&q, Some(1)), s.screen_exhaustive(&q, Some(1))] {
                assert_eq!(hits.len(), 1, "{query} against {listed}");
                assert!(
                    (hits[0].score - expected).abs() < 1e-9,
                    "{query} against {listed}: {} screened, {expected} compared",
                    hits[0].score
                );
            }
        }
    }
}
