//! OFAC's XML formats against its legacy CSV: `tests/oracle/ofac_xml_from_csv.py` writes the
//! real SDN list of the peer data (sdn.csv and its companions) as `sdn.xml` and
//! `sdn_advanced.xml`, with the Python standard library and OFAC's published layouts; the
//! three importers must then agree on every entry. The peer data holds no OFAC XML file.

mod common;
use common::peer;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use custos_screen::ListEntity;
use custos_screen::import::{Format, import};

fn generate(dir: &Path) {
    let python = std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into());
    let csv_dir = peer("watchman/test/testdata/sdn.csv");
    let out = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/ofac_xml_from_csv.py"
        ))
        .arg(csv_dir.parent().unwrap())
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn years(e: &ListEntity) -> BTreeSet<String> {
    e.birth_dates
        .iter()
        .flat_map(|d| {
            d.split(|c: char| !c.is_ascii_digit())
                .filter(|p| p.len() == 4)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_xml_formats_agree_with_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let csv = import(Format::OfacCsv, &peer("watchman/test/testdata/sdn.csv")).unwrap();
    let xml = import(Format::OfacXml, &dir.path().join("sdn.xml")).unwrap();
    let adv = import(
        Format::OfacAdvancedXml,
        &dir.path().join("sdn_advanced.xml"),
    )
    .unwrap();
    assert_eq!(csv.len(), 7379);
    assert_eq!(xml.len(), csv.len());
    assert_eq!(adv.len(), csv.len());
    let mut wallets = 0;
    let mut passports = 0;
    for ((c, x), a) in csv.iter().zip(&xml).zip(&adv) {
        // sdn.xml carries the same facts as the CSV, the remarks' ones as elements.
        let mut x2 = x.clone();
        x2.remarks = c.remarks.clone();
        assert_eq!(&x2, c, "sdn.xml differs from the CSV");
        // The advanced format writes dates as dates; the rest is the same.
        assert_eq!(a.id, c.id);
        assert_eq!(a.kind, c.kind, "{}", c.id);
        assert_eq!(a.names, c.names, "{}", c.id);
        assert_eq!(a.programs, c.programs, "{}", c.id);
        assert_eq!(a.addresses, c.addresses, "{}", c.id);
        assert_eq!(a.countries, c.countries, "{}", c.id);
        assert_eq!(a.nationalities, c.nationalities, "{}", c.id);
        assert_eq!(a.identifiers, c.identifiers, "{}", c.id);
        assert_eq!(
            years(a),
            years(c),
            "{}: {:?} {:?}",
            c.id,
            a.birth_dates,
            c.birth_dates
        );
        wallets += c.identifiers.iter().filter(|i| i.kind == "wallet").count();
        passports += c
            .identifiers
            .iter()
            .filter(|i| i.kind == "passport")
            .count();
    }
    // The comparison covers what matters: wallets, passports, aliases and former names (the
    // peer data's SDN has no weak alias; the advanced format's is tested below).
    assert!(wallets >= 2, "{wallets}");
    assert!(passports > 500, "{passports}");
    let kinds: BTreeSet<custos_screen::NameKind> = csv
        .iter()
        .flat_map(|e| e.names.iter().map(|n| n.kind))
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

#[test]
fn the_advanced_format_resolves_references_by_name() {
    // Reference ids unlike OFAC's, an ISO code on the country, a non-Latin script of the
    // primary name, a weak alias and a document issued by a country.
    let x = r#"<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <ReferenceValueSets>
    <AliasTypeValues><AliasType ID="7">A.K.A.</AliasType><AliasType ID="9">Name</AliasType></AliasTypeValues>
    <CountryValues><Country ID="42" ISO2="IQ">Iraq</Country></CountryValues>
    <FeatureTypeValues><FeatureType ID="5">Birthdate</FeatureType><FeatureType ID="6">Nationality Country</FeatureType><FeatureType ID="77">Digital Currency Address - ETH</FeatureType></FeatureTypeValues>
    <IDRegDocTypeValues><IDRegDocType ID="3">Passport</IDRegDocType></IDRegDocTypeValues>
    <NamePartTypeValues><NamePartType ID="1">Last Name</NamePartType><NamePartType ID="2">First Name</NamePartType></NamePartTypeValues>
    <PartySubTypeValues><PartySubType ID="4" PartyTypeID="1">Unknown</PartySubType></PartySubTypeValues>
    <PartyTypeValues><PartyType ID="1">Individual</PartyType></PartyTypeValues>
    <SanctionsTypeValues><SanctionsType ID="1">Program</SanctionsType></SanctionsTypeValues>
  </ReferenceValueSets>
  <Locations><Location ID="500"><LocationCountry CountryID="42"/></Location></Locations>
  <IDRegDocuments>
    <IDRegDocument ID="1" IDRegDocTypeID="3" IdentityID="10" IssuedBy-CountryID="42"><IDRegistrationNo>A1234567</IDRegistrationNo></IDRegDocument>
    <IDRegDocument ID="2" IDRegDocTypeID="3" IdentityID="99"><IDRegistrationNo>SOMEONE-ELSE</IDRegistrationNo></IDRegDocument>
  </IDRegDocuments>
  <DistinctParties>
    <DistinctParty FixedRef="2674">
      <Profile ID="2674" PartySubTypeID="4">
        <Identity ID="10" FixedRef="2674" Primary="true" False="false">
          <Alias FixedRef="2674" AliasTypeID="7" Primary="false" LowQuality="true">
            <DocumentedName ID="3" DocNameStatusID="2"><DocumentedNamePart><NamePartValue NamePartGroupID="13">ZAYDAN</NamePartValue></DocumentedNamePart></DocumentedName>
          </Alias>
          <Alias FixedRef="2674" AliasTypeID="9" Primary="true" LowQuality="false">
            <DocumentedName ID="1" DocNameStatusID="1">
              <DocumentedNamePart><NamePartValue NamePartGroupID="12">Abu</NamePartValue></DocumentedNamePart>
              <DocumentedNamePart><NamePartValue NamePartGroupID="11">ABBAS</NamePartValue></DocumentedNamePart>
            </DocumentedName>
            <DocumentedName ID="2" DocNameStatusID="2"><DocumentedNamePart><NamePartValue NamePartGroupID="14">أبو العباس</NamePartValue></DocumentedNamePart></DocumentedName>
          </Alias>
          <NamePartGroups>
            <MasterNamePartGroup><NamePartGroup ID="11" NamePartTypeID="1"/></MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="12" NamePartTypeID="2"/></MasterNamePartGroup>
          </NamePartGroups>
        </Identity>
        <Feature ID="20" FeatureTypeID="5"><FeatureVersion ID="21"><DatePeriod><Start><From><Year>1948</Year><Month>12</Month><Day>10</Day></From></Start></DatePeriod></FeatureVersion></Feature>
        <Feature ID="22" FeatureTypeID="6"><FeatureVersion ID="23"><VersionLocation LocationID="500"/></FeatureVersion></Feature>
        <Feature ID="24" FeatureTypeID="77"><FeatureVersion ID="25"><VersionDetail DetailTypeID="1432">0x098B716B8Aaf21512996dC57EB0615e2383E2f96</VersionDetail></FeatureVersion></Feature>
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <SanctionsEntries><SanctionsEntry ID="1" ProfileID="2674"><SanctionsMeasure ID="1" SanctionsTypeID="1"><Comment>SDGT</Comment></SanctionsMeasure></SanctionsEntry></SanctionsEntries>
</Sanctions>"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sdn_advanced.xml");
    std::fs::write(&p, x).unwrap();
    let list = import(Format::OfacAdvancedXml, &p).unwrap();
    let e = &list[0];
    assert_eq!(e.id, "ofac-2674");
    assert_eq!(e.kind, custos_screen::EntityKind::Person);
    assert_eq!(e.primary_name(), "ABBAS, Abu");
    let names: Vec<(&str, custos_screen::NameKind)> =
        e.names.iter().map(|n| (n.value.as_str(), n.kind)).collect();
    assert!(names.contains(&("ZAYDAN", custos_screen::NameKind::WeakAlias)));
    assert!(names.contains(&("أبو العباس", custos_screen::NameKind::Alias)));
    assert_eq!(e.birth_dates, ["1948-12-10"]);
    assert_eq!(e.nationalities, ["IQ"]);
    assert_eq!(e.programs, ["SDGT"]);
    let ids: Vec<(&str, &str, Option<&str>)> = e
        .identifiers
        .iter()
        .map(|i| (i.kind.as_str(), i.value.as_str(), i.country.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("passport", "A1234567", Some("IQ")),
            (
                "wallet",
                "eth:0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
                None
            )
        ]
    );
}

#[test]
fn broken_xml_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    for (name, format) in [
        ("sdn.xml", Format::OfacXml),
        ("sdn_advanced.xml", Format::OfacAdvancedXml),
    ] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let cut = dir.path().join(format!("cut-{name}"));
        std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
        let err = import(format, &cut).unwrap_err().to_string();
        assert!(err.contains(&format!("cut-{name}")), "{err}");
        // An entry without a name is refused, not skipped.
        let nameless = dir.path().join(format!("nameless-{name}"));
        let broken = match format {
            Format::OfacXml => {
                text.replacen("<lastName>", "<title>", 1)
                    .replacen("</lastName>", "</title>", 1)
            }
            _ => text
                .replacen("<DocumentedNamePart>", "<Ignored>", 2)
                .replacen("</DocumentedNamePart>", "</Ignored>", 2),
        };
        std::fs::write(&nameless, broken).unwrap();
        assert!(import(format, &nameless).is_err(), "{name}");
    }
}
