//! OpenSanctions FollowTheMoney entities, one JSON object a line.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::import::malformed;
use crate::model::{EntityKind, ListIdentifier, NameKind, country_code};
use crate::{ImportError, ListEntity};

#[derive(Debug, Deserialize)]
struct Ftm {
    id: String,
    schema: String,
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
    #[serde(default)]
    datasets: Vec<String>,
}

fn strings(p: &serde_json::Map<String, Value>, key: &str) -> Vec<String> {
    p.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", path.display())))?;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Ftm =
            serde_json::from_str(line).map_err(|e| malformed(path, i as u64 + 1, e.to_string()))?;
        let kind = match f.schema.as_str() {
            "Person" => EntityKind::Person,
            "Organization" | "Company" | "LegalEntity" | "PublicBody" => EntityKind::Organization,
            "Vessel" => EntityKind::Vessel,
            "Airplane" => EntityKind::Aircraft,
            // Addresses, sanctions, relationships and other schemata are not screenable parties.
            _ => continue,
        };
        let p = &f.properties;
        let names = strings(p, "name");
        let Some(primary) = names.first() else {
            return Err(malformed(path, i as u64 + 1, "an entity without a name"));
        };
        let mut e = ListEntity::new(f.id.clone(), kind, primary.clone());
        for n in names.iter().skip(1).chain(strings(p, "alias").iter()) {
            e.add_name(n, NameKind::Alias);
        }
        for n in strings(p, "previousName") {
            e.add_name(&n, NameKind::Former);
        }
        for n in strings(p, "weakAlias") {
            e.add_name(&n, NameKind::WeakAlias);
        }
        e.birth_dates = strings(p, "birthDate");
        for c in strings(p, "nationality")
            .into_iter()
            .chain(strings(p, "citizenship"))
        {
            if let Some(cc) = country_code(&c) {
                e.nationalities.push(cc);
            }
        }
        for c in strings(p, "country")
            .into_iter()
            .chain(strings(p, "jurisdiction"))
        {
            if let Some(cc) = country_code(&c) {
                e.countries.push(cc);
            }
        }
        for (key, kind) in [
            ("passportNumber", "passport"),
            ("idNumber", "national_id"),
            ("taxNumber", "tax_id"),
            ("registrationNumber", "registration"),
            ("email", "email"),
            ("phone", "phone"),
            ("leiCode", "lei"),
        ] {
            for v in strings(p, key) {
                e.identifiers.push(ListIdentifier {
                    kind: kind.into(),
                    value: v,
                    country: None,
                });
            }
        }
        e.addresses = strings(p, "address");
        e.programs = f.datasets.clone();
        e.programs.extend(strings(p, "topics"));
        let notes = strings(p, "notes");
        if !notes.is_empty() {
            e.remarks = Some(notes.join(" "));
        }
        out.push(e);
    }
    Ok(out)
}
