//! The trade.gov Consolidated Screening List CSV (one row an entry, `;`-separated lists).

use std::path::Path;

use crate::import::{malformed, synthetic_id};
use crate::model::{EntityKind, ListIdentifier, NameKind, country_code};
use crate::{ImportError, ListEntity};

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = r
        .headers()
        .map_err(|e| malformed(path, 0, e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let Some(name_i) = col("name") else {
        return Err(malformed(path, 0, "no `name` column: not a CSL file"));
    };
    let mut out: Vec<ListEntity> = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| malformed(path, i as u64 + 2, e.to_string()))?;
        let get = |n: &str| col(n).and_then(|k| rec.get(k)).map(str::trim).unwrap_or("");
        let name = rec.get(name_i).map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(malformed(path, i as u64 + 2, "no name"));
        }
        let source = get("source");
        let id = match get("entity_number") {
            "" => synthetic_id("csl", &[source, name, get("addresses")]),
            n => format!("csl-{n}"),
        };
        if out.iter().any(|e| e.id == id) {
            continue;
        }
        let kind = match get("type").to_lowercase().as_str() {
            "individual" => EntityKind::Person,
            "entity" => EntityKind::Organization,
            "vessel" => EntityKind::Vessel,
            "aircraft" => EntityKind::Aircraft,
            _ => EntityKind::Unknown,
        };
        let mut e = ListEntity::new(id, kind, name);
        let list = |s: &str| -> Vec<String> {
            s.split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        for a in list(get("alt_names")) {
            e.add_name(&a, NameKind::Alias);
        }
        for c in list(get("nationalities"))
            .into_iter()
            .chain(list(get("citizenships")))
        {
            if let Some(cc) = country_code(&c) {
                e.nationalities.push(cc);
            }
        }
        e.birth_dates.extend(list(get("dates_of_birth")));
        for a in list(get("addresses")) {
            if let Some(cc) = a.rsplit(", ").next().and_then(country_code) {
                e.countries.push(cc);
            }
            e.addresses.push(a);
        }
        for id in list(get("ids")) {
            // "Passport, A123, Iran, ..." in the CSL's `ids` column.
            let parts: Vec<&str> = id.split(", ").collect();
            if parts.len() >= 2 {
                e.identifiers.push(ListIdentifier {
                    kind: parts[0].to_lowercase(),
                    value: parts[1].to_owned(),
                    country: parts.get(2).and_then(|c| country_code(c)),
                });
            }
        }
        e.programs.extend(list(get("programs")));
        if !source.is_empty() {
            e.programs.push(source.to_owned());
        }
        let remarks = get("remarks");
        if !remarks.is_empty() {
            e.remarks = Some(remarks.to_owned());
        }
        out.push(e);
    }
    Ok(out)
}
