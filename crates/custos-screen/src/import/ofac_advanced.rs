//! OFAC's lists in the Advanced Sanctions Data Standard: `sdn_advanced.xml` and
//! `cons_advanced.xml`. Everything is by reference: a party's profile has identities, whose
//! aliases hold documented names made of parts typed through name-part groups; features
//! (birth dates, nationalities, addresses, wallets) point at locations and reference values;
//! identity documents and sanctions programs sit in tables of their own, keyed by identity and
//! profile. Reference values are resolved by their names, never by hard-coded numbers.
//!
//! Entry ids are `ofac-{FixedRef}`, the same as the `uid` of the legacy formats.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::import::malformed;
use crate::import::ofac_xml::{id_kind, push_identifier};
use crate::model::{EntityKind, NameKind, country_code};
use crate::{ImportError, ListEntity};

#[derive(Debug, Default, Deserialize)]
struct Ref {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "@PartyTypeID", default)]
    party_type: Option<String>,
    #[serde(rename = "@ISO2", default)]
    iso2: Option<String>,
    #[serde(rename = "$text", default)]
    name: String,
}

macro_rules! ref_set {
    ($name:ident, $item:literal) => {
        #[derive(Debug, Default, Deserialize)]
        struct $name {
            #[serde(rename = $item, default)]
            items: Vec<Ref>,
        }
    };
}
ref_set!(AliasTypes, "AliasType");
ref_set!(Countries, "Country");
ref_set!(FeatureTypes, "FeatureType");
ref_set!(DocTypes, "IDRegDocType");
ref_set!(NamePartTypes, "NamePartType");
ref_set!(PartySubTypes, "PartySubType");
ref_set!(PartyTypes, "PartyType");
ref_set!(LocPartTypes, "LocPartType");
ref_set!(SanctionsTypes, "SanctionsType");

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Refs {
    #[serde(default)]
    alias_type_values: AliasTypes,
    #[serde(default)]
    country_values: Countries,
    #[serde(default)]
    feature_type_values: FeatureTypes,
    #[serde(rename = "IDRegDocTypeValues", default)]
    doc_type_values: DocTypes,
    #[serde(default)]
    name_part_type_values: NamePartTypes,
    #[serde(default)]
    party_sub_type_values: PartySubTypes,
    #[serde(default)]
    party_type_values: PartyTypes,
    #[serde(default)]
    loc_part_type_values: LocPartTypes,
    #[serde(default)]
    sanctions_type_values: SanctionsTypes,
}

#[derive(Debug, Default, Deserialize)]
struct CountryRefAttr {
    #[serde(rename = "@CountryID")]
    country: String,
}

#[derive(Debug, Default, Deserialize)]
struct PartValue {
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LocationPart {
    #[serde(rename = "@LocPartTypeID")]
    kind: String,
    #[serde(rename = "LocationPartValue", default)]
    values: Vec<PartValue>,
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "LocationCountry", default)]
    countries: Vec<CountryRefAttr>,
    #[serde(rename = "LocationPart", default)]
    parts: Vec<LocationPart>,
}

#[derive(Debug, Default, Deserialize)]
struct Locations {
    #[serde(rename = "Location", default)]
    items: Vec<Location>,
}

#[derive(Debug, Default, Deserialize)]
struct Document {
    #[serde(rename = "@IDRegDocTypeID")]
    kind: String,
    #[serde(rename = "@IdentityID")]
    identity: String,
    #[serde(rename = "@IssuedBy-CountryID", default)]
    issued_by: Option<String>,
    #[serde(rename = "IssuedBy", default)]
    issued_by_element: Option<CountryRefAttr>,
    #[serde(rename = "IDRegistrationNo", default)]
    number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Documents {
    #[serde(rename = "IDRegDocument", default)]
    items: Vec<Document>,
}

#[derive(Debug, Default, Deserialize)]
struct NamePartValue {
    #[serde(rename = "@NamePartGroupID", default)]
    group: Option<String>,
    #[serde(rename = "$text", default)]
    text: String,
}

#[derive(Debug, Default, Deserialize)]
struct NamePart {
    #[serde(rename = "NamePartValue", default)]
    value: NamePartValue,
}

#[derive(Debug, Default, Deserialize)]
struct DocumentedName {
    #[serde(rename = "DocumentedNamePart", default)]
    parts: Vec<NamePart>,
}

#[derive(Debug, Default, Deserialize)]
struct Alias {
    #[serde(rename = "@AliasTypeID", default)]
    kind: String,
    #[serde(rename = "@Primary", default)]
    primary: Option<String>,
    #[serde(rename = "@LowQuality", default)]
    low_quality: Option<String>,
    #[serde(rename = "DocumentedName", default)]
    names: Vec<DocumentedName>,
}

#[derive(Debug, Default, Deserialize)]
struct NamePartGroup {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "@NamePartTypeID")]
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
struct MasterGroup {
    #[serde(rename = "NamePartGroup", default)]
    groups: Vec<NamePartGroup>,
}

#[derive(Debug, Default, Deserialize)]
struct NamePartGroups {
    #[serde(rename = "MasterNamePartGroup", default)]
    masters: Vec<MasterGroup>,
}

#[derive(Debug, Default, Deserialize)]
struct Identity {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "Alias", default)]
    aliases: Vec<Alias>,
    #[serde(rename = "NamePartGroups", default)]
    groups: NamePartGroups,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Ymd {
    year: Option<String>,
    month: Option<String>,
    day: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Bound {
    from: Option<Ymd>,
    to: Option<Ymd>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DatePeriod {
    start: Option<Bound>,
    end: Option<Bound>,
}

#[derive(Debug, Default, Deserialize)]
struct Detail {
    #[serde(rename = "$text", default)]
    text: String,
}

#[derive(Debug, Default, Deserialize)]
struct VersionLocation {
    #[serde(rename = "@LocationID")]
    location: String,
}

#[derive(Debug, Default, Deserialize)]
struct FeatureVersion {
    #[serde(rename = "DatePeriod", default)]
    period: Option<DatePeriod>,
    #[serde(rename = "VersionDetail", default)]
    details: Vec<Detail>,
    #[serde(rename = "VersionLocation", default)]
    locations: Vec<VersionLocation>,
}

#[derive(Debug, Default, Deserialize)]
struct Feature {
    #[serde(rename = "@FeatureTypeID")]
    kind: String,
    #[serde(rename = "FeatureVersion", default)]
    versions: Vec<FeatureVersion>,
}

#[derive(Debug, Default, Deserialize)]
struct Profile {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "@PartySubTypeID", default)]
    sub_type: String,
    #[serde(rename = "Identity", default)]
    identities: Vec<Identity>,
    #[serde(rename = "Feature", default)]
    features: Vec<Feature>,
}

#[derive(Debug, Default, Deserialize)]
struct Party {
    #[serde(rename = "@FixedRef")]
    fixed_ref: String,
    #[serde(rename = "Profile", default)]
    profiles: Vec<Profile>,
}

#[derive(Debug, Default, Deserialize)]
struct Parties {
    #[serde(rename = "DistinctParty", default)]
    items: Vec<Party>,
}

#[derive(Debug, Default, Deserialize)]
struct Measure {
    #[serde(rename = "@SanctionsTypeID", default)]
    kind: String,
    #[serde(rename = "Comment", default)]
    comment: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SanctionsEntry {
    #[serde(rename = "@ProfileID")]
    profile: String,
    #[serde(rename = "SanctionsMeasure", default)]
    measures: Vec<Measure>,
}

#[derive(Debug, Default, Deserialize)]
struct Entries {
    #[serde(rename = "SanctionsEntry", default)]
    items: Vec<SanctionsEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sanctions {
    reference_value_sets: Refs,
    #[serde(default)]
    locations: Locations,
    #[serde(rename = "IDRegDocuments", default)]
    documents: Documents,
    distinct_parties: Parties,
    #[serde(default)]
    sanctions_entries: Entries,
}

/// Reference values by id, with their names folded for comparison.
fn table(items: &[Ref]) -> HashMap<&str, String> {
    items
        .iter()
        .map(|r| (r.id.as_str(), r.name.trim().to_lowercase()))
        .collect()
}

fn date(p: &DatePeriod) -> Option<String> {
    let ymd = |d: &Ymd| -> Option<String> {
        let y = d.year.as_deref()?.trim();
        let part = |v: &Option<String>| {
            v.as_deref()
                .and_then(|s| s.trim().parse::<u32>().ok())
                .map(|n| format!("{n:02}"))
        };
        Some(match (part(&d.month), part(&d.day)) {
            (Some(m), Some(dd)) => format!("{y}-{m}-{dd}"),
            (Some(m), None) => format!("{y}-{m}"),
            _ => y.to_owned(),
        })
    };
    let start = p.start.as_ref()?;
    let first = start.from.as_ref().and_then(ymd)?;
    let last = p
        .end
        .as_ref()
        .and_then(|e| e.to.as_ref().or(e.from.as_ref()))
        .or(start.to.as_ref())
        .and_then(ymd);
    let year = |s: &str| s.get(..4).map(str::to_owned);
    Some(match last {
        Some(l) if year(&l) != year(&first) => format!("{} to {}", year(&first)?, year(&l)?),
        _ => first,
    })
}

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", path.display())))?;
    let doc: Sanctions =
        quick_xml::de::from_str(text).map_err(|e| malformed(path, 0, e.to_string()))?;
    let r = &doc.reference_value_sets;
    let alias_types = table(&r.alias_type_values.items);
    let feature_types = table(&r.feature_type_values.items);
    let doc_types: HashMap<&str, &str> = r
        .doc_type_values
        .items
        .iter()
        .map(|x| (x.id.as_str(), x.name.trim()))
        .collect();
    let name_part_types = table(&r.name_part_type_values.items);
    let party_types = table(&r.party_type_values.items);
    let sub_types: HashMap<&str, (String, Option<&str>)> = r
        .party_sub_type_values
        .items
        .iter()
        .map(|x| {
            (
                x.id.as_str(),
                (x.name.trim().to_lowercase(), x.party_type.as_deref()),
            )
        })
        .collect();
    let loc_part_types = table(&r.loc_part_type_values.items);
    let sanctions_types = table(&r.sanctions_type_values.items);
    // Countries: the ISO code the list gives, else the name.
    let countries: HashMap<&str, (Option<String>, &str)> = r
        .country_values
        .items
        .iter()
        .map(|c| {
            let code = c
                .iso2
                .as_deref()
                .map(str::trim)
                .filter(|s| s.len() == 2)
                .map(str::to_ascii_uppercase)
                .or_else(|| country_code(&c.name));
            (c.id.as_str(), (code, c.name.trim()))
        })
        .collect();
    let locations: HashMap<&str, &Location> = doc
        .locations
        .items
        .iter()
        .map(|l| (l.id.as_str(), l))
        .collect();
    let mut docs_by_identity: HashMap<&str, Vec<&Document>> = HashMap::new();
    for d in &doc.documents.items {
        docs_by_identity
            .entry(d.identity.as_str())
            .or_default()
            .push(d);
    }
    let mut programs: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &doc.sanctions_entries.items {
        for m in &e.measures {
            if sanctions_types
                .get(m.kind.as_str())
                .is_some_and(|t| t == "program")
                && let Some(c) = m
                    .comment
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
            {
                programs
                    .entry(e.profile.as_str())
                    .or_default()
                    .push(c.to_owned());
            }
        }
    }
    // A location as an address line, in the order addresses are written.
    const ORDER: [&str; 7] = [
        "address1",
        "address2",
        "address3",
        "city",
        "state/province",
        "postal code",
        "region",
    ];
    let address = |l: &Location| -> (Option<String>, Option<String>) {
        let mut parts: Vec<(usize, String)> = l
            .parts
            .iter()
            .filter_map(|p| {
                let kind = loc_part_types.get(p.kind.as_str())?;
                let rank = ORDER.iter().position(|o| o == kind).unwrap_or(ORDER.len());
                let v = p.values.iter().find_map(|v| v.value.as_deref())?.trim();
                (!v.is_empty()).then(|| (rank, v.to_owned()))
            })
            .collect();
        parts.sort_by_key(|p| p.0);
        let country = l
            .countries
            .first()
            .and_then(|c| countries.get(c.country.as_str()));
        let mut line: Vec<String> = parts.into_iter().map(|p| p.1).collect();
        if let Some((_, name)) = country {
            line.push((*name).to_owned());
        }
        (
            (!line.is_empty()).then(|| line.join(", ")),
            country.and_then(|c| c.0.clone()),
        )
    };

    let mut out = vec![];
    for (i, party) in doc.distinct_parties.items.iter().enumerate() {
        let record = i as u64 + 1;
        let Some(profile) = party.profiles.first() else {
            return Err(malformed(path, record, "a party without a profile"));
        };
        let (sub, party_type) = sub_types
            .get(profile.sub_type.as_str())
            .cloned()
            .unwrap_or_default();
        let kind = match sub.as_str() {
            "vessel" => EntityKind::Vessel,
            "aircraft" => EntityKind::Aircraft,
            _ => match party_type
                .and_then(|t| party_types.get(t))
                .map(String::as_str)
            {
                Some("individual") => EntityKind::Person,
                Some("entity") => EntityKind::Organization,
                _ => EntityKind::Unknown,
            },
        };
        let mut names: Vec<(String, NameKind)> = vec![];
        for identity in &profile.identities {
            let group_types: HashMap<&str, &str> = identity
                .groups
                .masters
                .iter()
                .flat_map(|m| &m.groups)
                .filter_map(|g| {
                    name_part_types
                        .get(g.kind.as_str())
                        .map(|t| (g.id.as_str(), t.as_str()))
                })
                .collect();
            let mut aliases: Vec<&Alias> = identity.aliases.iter().collect();
            // The primary name first.
            aliases.sort_by_key(|a| a.primary.as_deref() != Some("true"));
            for a in aliases {
                let low = a.low_quality.as_deref() == Some("true");
                let base = match (
                    a.primary.as_deref() == Some("true"),
                    alias_types.get(a.kind.as_str()).map(String::as_str),
                ) {
                    (_, _) if low => NameKind::WeakAlias,
                    (true, _) => NameKind::Primary,
                    (false, Some("f.k.a.")) => NameKind::Former,
                    _ => NameKind::Alias,
                };
                for (k, dn) in a.names.iter().enumerate() {
                    let mut last = vec![];
                    let mut rest = vec![];
                    for p in &dn.parts {
                        let t = p.value.text.trim();
                        if t.is_empty() {
                            continue;
                        }
                        let typ = p
                            .value
                            .group
                            .as_deref()
                            .and_then(|g| group_types.get(g).copied());
                        if matches!(typ, Some("last name" | "maiden name"))
                            && kind == EntityKind::Person
                        {
                            last.push(t);
                        } else {
                            rest.push(t);
                        }
                    }
                    let name = match (last.is_empty(), rest.is_empty()) {
                        (false, false) => format!("{}, {}", last.join(" "), rest.join(" ")),
                        (false, true) => last.join(" "),
                        _ => rest.join(" "),
                    };
                    if name.is_empty() {
                        continue;
                    }
                    // A name's other scripts are aliases of it.
                    let nk = if k > 0 && base == NameKind::Primary {
                        NameKind::Alias
                    } else {
                        base
                    };
                    names.push((name, nk));
                }
            }
        }
        let Some(primary) = names
            .iter()
            .find(|(_, k)| *k == NameKind::Primary)
            .or(names.first())
            .map(|(n, _)| n.clone())
        else {
            return Err(malformed(
                path,
                record,
                format!("party {} has no name", party.fixed_ref),
            ));
        };
        let mut e = ListEntity::new(format!("ofac-{}", party.fixed_ref.trim()), kind, primary);
        for (n, k) in &names {
            e.add_name(n, *k);
        }
        e.programs = programs
            .get(profile.id.as_str())
            .cloned()
            .unwrap_or_default();
        for f in &profile.features {
            let Some(ft) = feature_types.get(f.kind.as_str()) else {
                continue;
            };
            for v in &f.versions {
                let located = v
                    .locations
                    .iter()
                    .filter_map(|l| locations.get(l.location.as_str()).copied());
                match ft.as_str() {
                    "birthdate" => e.birth_dates.extend(v.period.as_ref().and_then(date)),
                    "nationality country" | "citizenship country" => {
                        e.nationalities.extend(located.filter_map(|l| address(l).1))
                    }
                    "location" => {
                        for l in located {
                            let (line, country) = address(l);
                            e.addresses.extend(line);
                            e.countries.extend(country);
                        }
                    }
                    "vessel flag" => e.countries.extend(located.filter_map(|l| address(l).1)),
                    other => {
                        if let Some(k) = id_kind(other)
                            && matches!(k.as_str(), "email" | "phone") | k.starts_with("wallet:")
                        {
                            for d in &v.details {
                                push_identifier(&mut e, &k, &d.text, None);
                            }
                        }
                    }
                }
            }
        }
        for identity in &profile.identities {
            for d in docs_by_identity
                .get(identity.id.as_str())
                .into_iter()
                .flatten()
            {
                let (Some(t), Some(n)) = (doc_types.get(d.kind.as_str()), d.number.as_deref())
                else {
                    continue;
                };
                let Some(k) = id_kind(t) else {
                    continue;
                };
                let country = d
                    .issued_by
                    .as_deref()
                    .or(d.issued_by_element.as_ref().map(|c| c.country.as_str()))
                    .and_then(|c| countries.get(c))
                    .and_then(|c| c.0.clone());
                push_identifier(&mut e, &k, n, country);
            }
        }
        out.push(e);
    }
    Ok(out)
}
