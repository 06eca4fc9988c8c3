//! The importers on the real list files of peer projects (../shared/peer-data), and on broken
//! ones. `CUSTOS_PEER_DATA` points elsewhere.

mod common;
use common::peer;

use std::path::{Path, PathBuf};
use std::process::Command;

use custos_screen::ListEntity;
use custos_screen::import::{Format, designations, import};
use custos_screen::model::{EntityKind, NameKind};
use custos_screen::version::{content_hash, diff};

fn find<'a>(list: &'a [ListEntity], id: &str) -> &'a ListEntity {
    list.iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} not imported"))
}

/// Distinct first-column values of a CSV, counted by Python's csv module.
fn python_csv_ids(path: &Path) -> usize {
    let out = Command::new("python3")
        .args(["-c", "import csv,sys\nprint(len({r[0] for r in csv.reader(open(sys.argv[1], encoding='utf-8', errors='replace')) if r and r[0].strip() not in ('', '\\x1a')}))"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn ofac_sdn_csv_with_its_companions() {
    let path = peer("watchman/test/testdata/sdn.csv");
    let list = import(Format::OfacCsv, &path).unwrap();
    assert_eq!(list.len(), python_csv_ids(&path));
    let bnc = find(&list, "ofac-306");
    assert_eq!(bnc.primary_name(), "BANCO NACIONAL DE CUBA");
    assert_eq!(bnc.kind, EntityKind::Organization);
    assert!(
        bnc.names
            .iter()
            .any(|n| n.value == "NATIONAL BANK OF CUBA" && n.kind == NameKind::Alias)
    );
    assert!(
        bnc.countries.contains(&"CH".to_owned()),
        "{:?}",
        bnc.countries
    );
    let abbas = find(&list, "ofac-2674");
    assert_eq!(abbas.kind, EntityKind::Person);
    assert_eq!(abbas.birth_dates, ["10 Dec 1948"]);
    assert!(
        list.iter()
            .any(|e| e.identifiers.iter().any(|i| i.kind == "passport"))
    );
    assert!(list.iter().filter(|e| !e.nationalities.is_empty()).count() > 500);
}

#[test]
fn ofac_consolidated_csv() {
    let path = peer("watchman/test/testdata/cons_prim.csv");
    let list = import(Format::OfacCsv, &path).unwrap();
    assert_eq!(list.len(), python_csv_ids(&path));
    assert!(list.iter().any(|e| e.names.len() > 1));
}

#[test]
fn un_consolidated_xml() {
    let list = import(
        Format::UnXml,
        &peer("watchman/test/testdata/UN_consolidated.xml"),
    )
    .unwrap();
    let people = list.iter().filter(|e| e.kind == EntityKind::Person).count();
    let orgs = list
        .iter()
        .filter(|e| e.kind == EntityKind::Organization)
        .count();
    // As counted with grep: 730 <INDIVIDUAL> and 273 <ENTITY> elements.
    assert_eq!((people, orgs), (730, 273));
    let badege = find(&list, "un-6907993");
    assert_eq!(badege.primary_name(), "ERIC BADEGE");
    assert_eq!(badege.nationalities, ["CD"]);
    assert_eq!(badege.birth_dates, ["1971"]);
    assert!(badege.countries.contains(&"RW".to_owned()));
    assert!(
        list.iter()
            .any(|e| e.names.iter().any(|n| n.kind == NameKind::WeakAlias))
    );
}

#[test]
fn bis_denied_persons() {
    let list = import(Format::BisDpl, &peer("watchman/test/testdata/dpl.txt")).unwrap();
    assert!(list.len() > 400 && list.len() <= 546, "{}", list.len());
    assert!(
        list.iter()
            .any(|e| e.primary_name() == "ADRIAN MANUEL HERNANDEZ")
    );
    assert!(
        list.iter()
            .all(|e| !e.addresses.is_empty() || !e.countries.is_empty())
    );
}

#[test]
fn trade_gov_consolidated_screening_list() {
    let list = import(Format::CslCsv, &peer("watchman/test/testdata/csl.csv")).unwrap();
    assert!(list.len() > 100 && list.len() <= 115, "{}", list.len());
    assert!(list.iter().any(|e| e.names.len() > 1));
}

#[test]
fn opensanctions_followthemoney() {
    let list = import(
        Format::FtmJson,
        &peer("yente/tests/fixtures/dataset/t1/entities.ftm.json"),
    )
    .unwrap();
    assert!(!list.is_empty());
    let inter = list
        .iter()
        .find(|e| e.primary_name().contains("Inter Tobacco"))
        .unwrap();
    assert_eq!(inter.kind, EntityKind::Organization);
    assert_eq!(inter.countries, ["BY"]);
    assert!(inter.names.len() > 5, "names in many scripts are aliases");
    let zala = import(
        Format::FtmJson,
        &peer("yente/tests/fixtures/dataset/zala/entities.ftm.json"),
    )
    .unwrap();
    assert!(zala.len() > 10);
}

#[test]
fn custos_designations() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/designations.toml");
    let d = designations(&path).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(
        d[0].expires.unwrap().to_string(),
        "2028-02-29",
        "365 days after 2027-03-01"
    );
    // Every designation is an entry carrying it; a jurisdiction has no names to match.
    let entries = import(Format::CustosToml, &path).unwrap();
    assert_eq!(entries.len(), 2);
    let kp = find(&entries, "sm-2027-001");
    assert!(kp.names.is_empty());
    assert_eq!(kp.countries, ["KP"]);
    let d = kp.designation.as_ref().unwrap();
    assert_eq!(d.jurisdiction(), Some("KP"));
    assert!(!d.in_force(chrono::NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()));
    assert!(d.in_force(chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()));
    assert!(!d.in_force(chrono::NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()));
    // Extended by the authority: in force until the extension's end.
    let mut x = d.clone();
    x.extensions.push(custos_screen::model::Extension {
        until: chrono::NaiveDate::from_ymd_opt(2028, 9, 1).unwrap(),
        reference: "93 FR 1".into(),
    });
    assert!(x.in_force(chrono::NaiveDate::from_ymd_opt(2028, 8, 31).unwrap()));
    assert_eq!(x.ends(), chrono::NaiveDate::from_ymd_opt(2028, 9, 1));
    let person = find(&entries, "sm-2027-002");
    assert_eq!(person.countries, ["RU"]);
    assert_eq!(person.primary_name(), "Example Hosting Ltd");
    assert_eq!(
        person.designation.as_ref().unwrap().conditions,
        ["account.offering != 'trial'"]
    );
    let dir = tempfile_dir();
    for (body, why) in [
        (
            "[[designation]]\nid = \"a\"\nsubject = { kind = \"jurisdiction\", country = \"Atlantis\" }\nmeasure = \"prohibition\"\neffective = 2027-01-01\nreference = \"x\"\n",
            "ISO",
        ),
        (
            "[[designation]]\nid = \"a\"\nsubject = { kind = \"jurisdiction\", country = \"KP\" }\nmeasure = \"conditions\"\neffective = 2027-01-01\nreference = \"x\"\n",
            "names no condition",
        ),
        (
            "[[designation]]\nid = \"a\"\nsubject = { kind = \"jurisdiction\", country = \"KP\" }\nmeasure = \"prohibition\"\neffective = 2027-01-01\nexpires = 2026-01-01\nreference = \"x\"\n",
            "expires before",
        ),
        (
            "[[designation]]\nid = \"a\"\nsurprise = 1\n",
            "unknown field",
        ),
        (
            "[[designation]]\nid = \"a\"\nsubject = { kind = \"jurisdiction\", country = \"KP\" }\nmeasure = \"prohibition\"\ndetermined = 2027-02-01\neffective = 2027-01-01\nreference = \"x\"\n",
            "before it was determined",
        ),
        (
            "[[designation]]\nid = \"a\"\nsubject = { kind = \"jurisdiction\", country = \"KP\" }\nmeasure = \"prohibition\"\neffective = 2027-01-01\nreference = \"x\"\n[[designation.extensions]]\nuntil = 2027-06-01\nreference = \"y\"\n",
            "must end later",
        ),
        ("", "no designation"),
    ] {
        let p = dir.join("d.toml");
        std::fs::write(&p, body).unwrap();
        let err = import(Format::CustosToml, &p).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("custos-screen-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn broken_downloads_are_errors_never_partial_lists() {
    let dir = tempfile_dir();
    let xml = std::fs::read_to_string(peer("watchman/test/testdata/UN_consolidated.xml")).unwrap();
    let cut = dir.join("un.xml");
    std::fs::write(&cut, &xml[..xml.len() / 2]).unwrap();
    assert!(
        import(Format::UnXml, &cut).is_err(),
        "a truncated XML is refused"
    );
    let empty = dir.join("sdn.csv");
    std::fs::write(&empty, "").unwrap();
    let err = import(Format::OfacCsv, &empty).unwrap_err().to_string();
    assert!(
        err.contains("cannot read"),
        "companions are required: {err}"
    );
    for c in ["add.csv", "alt.csv", "sdn_comments.csv"] {
        std::fs::write(dir.join(c), "").unwrap();
    }
    let err = import(Format::OfacCsv, &empty).unwrap_err().to_string();
    assert!(err.contains("no entries"), "{err}");
    // Cut off in the middle of a record.
    let sdn = std::fs::read_to_string(peer("watchman/test/testdata/sdn.csv")).unwrap();
    let half = &sdn[..sdn.len() / 2];
    std::fs::write(&empty, &half[..half.rfind(',').unwrap()]).unwrap();
    let err = import(Format::OfacCsv, &empty).unwrap_err().to_string();
    assert!(err.contains("cut-off or damaged"), "{err}");
    let other = dir.join("names.csv");
    std::fs::write(&other, "a,b\n").unwrap();
    assert!(
        import(Format::OfacCsv, &other)
            .unwrap_err()
            .to_string()
            .contains("sdn.csv")
    );
    let nameless = dir.join("dpl.txt");
    std::fs::write(
        &nameless,
        "\"Name\"\t\"Street_Address\"\t\"City\"\t\"Country\"\n\"\"\t\"x\"\t\"y\"\t\"US\"\n",
    )
    .unwrap();
    assert!(
        import(Format::BisDpl, &nameless)
            .unwrap_err()
            .to_string()
            .contains("no name")
    );
    let junk = dir.join("x.ftm.json");
    std::fs::write(&junk, "{\"id\": 1}\n").unwrap();
    assert!(import(Format::FtmJson, &junk).is_err());
    assert!(
        import(Format::UnXml, &dir.join("missing.xml"))
            .unwrap_err()
            .to_string()
            .contains("cannot read")
    );
}

#[test]
fn versions_hash_content_and_diff_by_entry() {
    let path = peer("watchman/test/testdata/sdn.csv");
    let a = import(Format::OfacCsv, &path).unwrap();
    // The same rows in another order, in another directory: the same content hash.
    let dir = tempfile_dir().join("shuffled");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    rows.reverse();
    std::fs::write(dir.join("sdn.csv"), rows.join("\n")).unwrap();
    for c in ["add.csv", "alt.csv", "sdn_comments.csv"] {
        std::fs::copy(path.with_file_name(c), dir.join(c)).unwrap();
    }
    let b = import(Format::OfacCsv, &dir.join("sdn.csv")).unwrap();
    assert_eq!(content_hash(&a), content_hash(&b));
    assert!(diff(&a, &b).is_empty());
    // Drop one entry, rename another: the diff says so and nothing else.
    let edited: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("36,"))
        .map(|l| {
            if l.starts_with("173,") {
                l.replace("ANGLO-CARIBBEAN", "ANGLO CARIBBEAN")
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(dir.join("sdn.csv"), edited.join("\n")).unwrap();
    let c = import(Format::OfacCsv, &dir.join("sdn.csv")).unwrap();
    let d = diff(&a, &c);
    assert_eq!(
        (d.added.len(), d.changed, d.removed),
        (0, vec!["ofac-173".to_owned()], vec!["ofac-36".to_owned()])
    );
    assert_ne!(content_hash(&a), content_hash(&c));
}
