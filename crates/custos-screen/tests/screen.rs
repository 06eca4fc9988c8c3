//! Screening through the index on the real OFAC SDN and UN lists: the index keeps at least
//! 99.5% of the hits an exhaustive scan of every name finds, and hits explain themselves.

mod common;
use common::peer;

use custos_screen::import::{Format, import};
use custos_screen::names::NameType;
use custos_screen::screen::{Query, Screener};

fn screener() -> Screener {
    let sdn = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let un = import(
        Format::UnXml,
        &peer("watchman/test/testdata/UN_consolidated.xml"),
    )
    .unwrap();
    Screener::build(
        sdn.into_iter()
            .map(|e| ("ofac-sdn".to_owned(), e))
            .chain(un.into_iter().map(|e| ("un".to_owned(), e))),
    )
}

/// Screens `q` through the index and by scanning every name, at the default threshold: adds to
/// `tally` (found by the index, found by the scan) and reports each entry the index missed.
fn against_exhaustive(s: &Screener, q: &Query, tally: &mut (usize, usize)) {
    let exhaustive = s.screen_exhaustive(q, None);
    let indexed = s.screen(q, None);
    tally.1 += exhaustive.len();
    for h in &exhaustive {
        if indexed.iter().any(|x| x.entity_id == h.entity_id) {
            tally.0 += 1;
        } else if tally.1 - tally.0 < 100 {
            eprintln!(
                "missed: `{}` -> `{}` ({:.3}) {}",
                q.name,
                h.matched_name,
                h.score,
                s.debug_candidate(q, &h.entity_id)
            );
        }
    }
}

/// A deterministic mutation: a typo, a swap of tokens, a dropped token, or the name as is.
fn mutate(name: &str, i: usize) -> String {
    let mut tokens: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
    match i % 4 {
        0 => {
            let k = i % tokens.len();
            let t = &mut tokens[k];
            if t.len() > 3 {
                let mut b = t.clone().into_bytes();
                b.swap(1, 2);
                *t = String::from_utf8_lossy(&b).into_owned();
            }
        }
        1 => tokens.reverse(),
        2 if tokens.len() > 2 => {
            tokens.remove(tokens.len() - 1);
        }
        _ => {}
    }
    tokens.join(" ")
}

#[test]
fn the_index_keeps_what_an_exhaustive_scan_finds() {
    let s = screener();
    assert!(s.names() > 10_000, "{}", s.names());
    let sdn = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let mut tally = (0usize, 0usize);
    for (i, e) in sdn.iter().step_by(25).enumerate() {
        let q = Query {
            name: mutate(e.primary_name(), i),
            ..Default::default()
        };
        against_exhaustive(&s, &q, &mut tally);
    }
    let (found, total) = tally;
    let recall = found as f64 / total as f64;
    eprintln!("recall {recall:.4} over {total} exhaustive hits");
    assert!(total > 200);
    assert!(recall >= 0.995, "recall {recall:.4} ({found} of {total})");
}

/// One-token queries take their own path through the index (see `Index::gather`): a list
/// name's longest token alone, or its tokens written as one. Measured 199 of 203 hits: the
/// four missed are pairs of tokens three edits or more apart that Jaro-Winkler still rates
/// above the threshold for their shared beginning ("DARYABAR" and "DARAB", "ABDULRAHMAN"
/// and "ABDERAHMANE"), which the index's deletions (two a side) do not reach. Short of the
/// 99.5% the main recall test holds; this holds what is measured.
#[test]
fn one_token_queries_keep_what_an_exhaustive_scan_finds() {
    let s = screener();
    let sdn = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let (mut tally, mut queries) = ((0usize, 0usize), 0usize);
    for (i, e) in sdn.iter().step_by(25).enumerate() {
        let tokens: Vec<&str> = e
            .primary_name()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| t.len() > 1)
            .collect();
        let name = if i % 2 == 0 {
            tokens.iter().max_by_key(|t| t.len()).map(|t| t.to_string())
        } else {
            Some(tokens.concat())
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            continue;
        };
        queries += 1;
        let q = Query {
            name,
            ..Default::default()
        };
        against_exhaustive(&s, &q, &mut tally);
    }
    let (found, total) = tally;
    let recall = found as f64 / total.max(1) as f64;
    eprintln!("one-token recall {recall:.4} over {total} exhaustive hits of {queries} queries");
    assert!(total > 50, "{total}");
    assert!(recall >= 0.98, "recall {recall:.4} ({found} of {total})");
}

#[test]
fn an_address_the_list_gives_corroborates() {
    let sdn = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let e = sdn
        .iter()
        .find(|e| e.kind == custos_screen::EntityKind::Person && !e.addresses.is_empty())
        .expect("SDN persons with addresses");
    let s = screener();
    let q = |address: &str| Query {
        name: e.primary_name().to_owned(),
        name_type: NameType::Person,
        address: Some(address.to_owned()),
        ..Default::default()
    };
    let factor = |hits: &[custos_screen::screen::Hit]| {
        hits.iter()
            .find(|h| h.entity_id == e.id)
            .unwrap_or_else(|| panic!("{} not found: {hits:#?}", e.id))
            .explanation
            .iter()
            .find(|f| f.field == "address")
            .map(|f| f.effect)
    };
    let same = s.screen(&q(&e.addresses[0].to_lowercase()), Some(5));
    assert!(factor(&same).is_some_and(|x| x > 0.0), "{:?}", e.addresses);
    // A different address is not held against the subject: people move.
    let other = s.screen(&q("1 Nowhere Lane, Springfield 99999"), Some(5));
    assert_eq!(factor(&other), None);
}

#[test]
fn hits_are_ranked_and_explained() {
    let s = screener();
    let hits = s.screen(
        &Query {
            name: "Abu Abbas".into(),
            name_type: NameType::Person,
            birth_date: Some("1948".into()),
            country: None,
            identifiers: vec![],
            address: None,
        },
        Some(5),
    );
    let top = &hits[0];
    assert_eq!(top.entity_id, "ofac-2674", "{hits:#?}");
    assert_eq!(top.list, "ofac-sdn");
    assert!(top.score > 0.95);
    assert!(
        top.explanation
            .iter()
            .any(|f| f.field == "date_of_birth" && f.effect > 0.0)
    );
    let wrong_year = s.screen(
        &Query {
            name: "Abu Abbas".into(),
            name_type: NameType::Person,
            birth_date: Some("1990".into()),
            country: None,
            identifiers: vec![],
            address: None,
        },
        Some(1),
    );
    assert!(
        wrong_year[0].score < top.score,
        "a different year of birth lowers the score"
    );
    let cyrillic = s.screen(
        &Query {
            name: "БАНКО НАСИОНАЛ ДЕ КУБА".into(),
            ..Default::default()
        },
        Some(1),
    );
    assert_eq!(cyrillic[0].entity_id, "ofac-306", "{cyrillic:#?}");
    let nobody = s.screen(
        &Query {
            name: "Zxqv Wprtk".into(),
            ..Default::default()
        },
        None,
    );
    assert!(nobody.is_empty(), "{nobody:#?}");
}

#[test]
fn a_shared_identifier_corroborates() {
    let s = screener();
    let un = import(
        Format::UnXml,
        &peer("watchman/test/testdata/UN_consolidated.xml"),
    )
    .unwrap();
    let e = un
        .iter()
        .find(|e| e.identifiers.iter().any(|i| i.kind == "passport"))
        .expect("the UN list carries passports");
    let passport = e.identifiers.iter().find(|i| i.kind == "passport").unwrap();
    let plain = Query {
        name: e.primary_name().to_owned(),
        ..Default::default()
    };
    let with_id = Query {
        identifiers: vec![("passport".into(), passport.value.to_lowercase())],
        ..plain.clone()
    };
    let score = |q: &Query| {
        s.screen(q, Some(50))
            .into_iter()
            .find(|h| h.entity_id == e.id)
            .map(|h| (h.score, h.explanation))
    };
    let (a, _) = score(&plain).unwrap();
    let (b, why) = score(&with_id).unwrap();
    assert!(b >= a, "{a} {b}");
    let f = why
        .iter()
        .find(|f| f.field == "identifier")
        .expect("explained");
    assert!(
        !f.detail.contains(&passport.value),
        "the value is not repeated"
    );
    let other = Query {
        identifiers: vec![("passport".into(), "ZZ0000000".into())],
        ..plain
    };
    assert_eq!(
        score(&other).unwrap().0,
        a,
        "another document number neither raises nor lowers"
    );
}

/// People on no list (yente's true negatives: 2,000 synthetic people of many scripts, with a
/// date of birth and a nationality) rarely hit the real lists at the default threshold:
/// measured 1.1% by name alone and 0.25% with the birth date and nationality (`custos bench
/// screen`); this holds the line at twice that.
#[test]
fn people_on_no_list_rarely_hit() {
    let s = screener();
    let (mut subjects, mut name_only, mut corroborated) = (0, 0, 0);
    // Whether the query hits; CUSTOS_SHOW_HITS=1 shows what each false hit matched.
    let hit = |q: &Query, label: &str| {
        let hits = s.screen(q, None);
        if std::env::var_os("CUSTOS_SHOW_HITS").is_some() {
            for h in &hits {
                eprintln!(
                    "false hit ({label}): {} ~ {} ({:.3})",
                    q.name, h.matched_name, h.score
                );
            }
        }
        !hits.is_empty()
    };
    for f in ["negatives_global.csv", "negatives_us.csv"] {
        let mut r = csv::Reader::from_path(peer(&format!(
            "yente/contrib/validation_report/fixtures/{f}"
        )))
        .unwrap();
        for rec in r.deserialize::<std::collections::HashMap<String, String>>() {
            let rec = rec.unwrap();
            subjects += 1;
            let mut q = Query {
                name: rec["full_name"].clone(),
                name_type: NameType::Person,
                ..Default::default()
            };
            name_only += usize::from(hit(&q, "by name"));
            q.birth_date = Some(rec["date_of_birth"].clone()).filter(|d| !d.is_empty());
            q.country = custos_screen::model::country_code(&rec["nationality"]);
            corroborated += usize::from(hit(&q, "corroborated"));
        }
    }
    assert_eq!(subjects, 2000);
    eprintln!(
        "{name_only} by name alone, {corroborated} with birth date and nationality, of {subjects}"
    );
    // No more than before names were romanised by script (23 and 4).
    assert!(name_only <= 23, "{name_only} of {subjects}");
    assert!(corroborated <= 4, "{corroborated} of {subjects}");
}

/// The index on names of many scripts (yente's true negatives: Arabic, Persian, Cyrillic,
/// Chinese, Korean, Latin), at the default threshold: what it finds against what a scan of
/// every name finds. Measured 68 of 68 hits (66 of 69 before the candidates near the bound
/// beyond the 64 were scored: the three missed were among the 37 that one very common name,
/// "حسین محمدی", gets).
#[test]
fn names_of_many_scripts_keep_what_an_exhaustive_scan_finds() {
    let s = screener();
    let mut tally = (0usize, 0usize);
    for f in ["negatives_global.csv", "negatives_us.csv"] {
        let mut r = csv::Reader::from_path(peer(&format!(
            "yente/contrib/validation_report/fixtures/{f}"
        )))
        .unwrap();
        for rec in r.deserialize::<std::collections::HashMap<String, String>>() {
            let q = Query {
                name: rec.unwrap()["full_name"].clone(),
                name_type: NameType::Person,
                ..Default::default()
            };
            against_exhaustive(&s, &q, &mut tally);
        }
    }
    let (found, total) = tally;
    eprintln!("many-script recall {found} of {total}");
    assert!(total >= 50, "{total}");
    assert!(found * 100 >= total * 95, "{found} of {total}");
}
