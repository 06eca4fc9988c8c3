//! The UN Security Council Consolidated List, XML.

use std::path::Path;

use serde::Deserialize;

use crate::model::{EntityKind, ListIdentifier, NameKind, country_code};
use crate::{ImportError, ListEntity};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Consolidated {
    individuals: Option<Individuals>,
    entities: Option<Entities>,
}

#[derive(Debug, Deserialize)]
struct Individuals {
    #[serde(rename = "INDIVIDUAL", default)]
    items: Vec<Individual>,
}

#[derive(Debug, Deserialize)]
struct Entities {
    #[serde(rename = "ENTITY", default)]
    items: Vec<Entity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Values {
    #[serde(default)]
    value: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Alias {
    quality: Option<String>,
    alias_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Address {
    street: Option<String>,
    city: Option<String>,
    state_province: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Dob {
    date: Option<String>,
    year: Option<String>,
    from_year: Option<String>,
    to_year: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Document {
    type_of_document: Option<String>,
    number: Option<String>,
    issuing_country: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Individual {
    dataid: String,
    first_name: Option<String>,
    second_name: Option<String>,
    third_name: Option<String>,
    fourth_name: Option<String>,
    name_original_script: Option<String>,
    un_list_type: Option<String>,
    reference_number: Option<String>,
    comments1: Option<String>,
    #[serde(default)]
    nationality: Values,
    #[serde(default)]
    individual_alias: Vec<Alias>,
    #[serde(default)]
    individual_address: Vec<Address>,
    #[serde(default)]
    individual_date_of_birth: Vec<Dob>,
    #[serde(default)]
    individual_document: Vec<Document>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Entity {
    dataid: String,
    first_name: Option<String>,
    un_list_type: Option<String>,
    reference_number: Option<String>,
    comments1: Option<String>,
    #[serde(default)]
    entity_alias: Vec<Alias>,
    #[serde(default)]
    entity_address: Vec<Address>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn aliases(e: &mut ListEntity, list: &[Alias]) {
    for a in list {
        if let Some(n) = some(&a.alias_name) {
            let weak = some(&a.quality).is_some_and(|q| q.eq_ignore_ascii_case("low"));
            e.add_name(
                n,
                if weak {
                    NameKind::WeakAlias
                } else {
                    NameKind::Alias
                },
            );
        }
    }
}

fn addresses(e: &mut ListEntity, list: &[Address]) {
    for a in list {
        let parts: Vec<&str> = [&a.street, &a.city, &a.state_province, &a.country]
            .into_iter()
            .filter_map(some)
            .collect();
        if let Some(c) = some(&a.country).and_then(country_code) {
            e.countries.push(c);
        }
        if !parts.is_empty() {
            e.addresses.push(parts.join(", "));
        }
    }
}

fn common(
    e: &mut ListEntity,
    list_type: &Option<String>,
    reference: &Option<String>,
    comments: &Option<String>,
) {
    if let Some(t) = some(list_type) {
        e.programs.push(t.to_owned());
    }
    if let Some(r) = some(reference) {
        e.identifiers.push(ListIdentifier {
            kind: "un_reference".into(),
            value: r.to_owned(),
            country: None,
        });
    }
    e.remarks = some(comments).map(str::to_owned);
}

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", path.display())))?;
    let list: Consolidated = quick_xml::de::from_str(text).map_err(|e| ImportError::Malformed {
        file: path.display().to_string(),
        record: 0,
        reason: format!("not the UN consolidated list XML: {e}"),
    })?;
    let mut out = vec![];
    for i in list.individuals.map(|x| x.items).unwrap_or_default() {
        let name: Vec<&str> = [&i.first_name, &i.second_name, &i.third_name, &i.fourth_name]
            .into_iter()
            .filter_map(some)
            .collect();
        let mut e = ListEntity::new(
            format!("un-{}", i.dataid.trim()),
            EntityKind::Person,
            name.join(" "),
        );
        if let Some(o) = some(&i.name_original_script) {
            e.add_name(o, NameKind::Alias);
        }
        aliases(&mut e, &i.individual_alias);
        addresses(&mut e, &i.individual_address);
        for n in &i.nationality.value {
            if let Some(c) = country_code(n) {
                e.nationalities.push(c);
            }
        }
        for d in &i.individual_date_of_birth {
            if let Some(x) = some(&d.date).or(some(&d.year)) {
                e.birth_dates.push(x.to_owned());
            } else if let (Some(a), Some(b)) = (some(&d.from_year), some(&d.to_year)) {
                e.birth_dates.push(format!("{a} to {b}"));
            }
        }
        for d in &i.individual_document {
            if let Some(n) = some(&d.number) {
                let kind = some(&d.type_of_document)
                    .unwrap_or("document")
                    .to_lowercase();
                e.identifiers.push(ListIdentifier {
                    kind: if kind.contains("passport") {
                        "passport".into()
                    } else if kind.contains("national") {
                        "national_id".into()
                    } else {
                        kind
                    },
                    value: n.to_owned(),
                    country: some(&d.issuing_country).and_then(country_code),
                });
            }
        }
        common(&mut e, &i.un_list_type, &i.reference_number, &i.comments1);
        out.push(e);
    }
    for x in list.entities.map(|x| x.items).unwrap_or_default() {
        let name = some(&x.first_name).unwrap_or_default();
        let mut e = ListEntity::new(
            format!("un-{}", x.dataid.trim()),
            EntityKind::Organization,
            name,
        );
        aliases(&mut e, &x.entity_alias);
        addresses(&mut e, &x.entity_address);
        common(&mut e, &x.un_list_type, &x.reference_number, &x.comments1);
        out.push(e);
    }
    if let Some(bad) = out.iter().find(|e| e.primary_name().is_empty()) {
        return Err(ImportError::Invalid(format!(
            "{}: entry {} has no name",
            path.display(),
            bad.id
        )));
    }
    Ok(out)
}
