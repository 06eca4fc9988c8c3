//! OFAC's legacy CSV files: `sdn.csv` with `add.csv`, `alt.csv` and `sdn_comments.csv`, or the
//! consolidated `cons_prim.csv` with `cons_add.csv`, `cons_alt.csv` and `cons_comments.csv`.
//! All four files are part of the list: a missing companion fails the import. `-0-` marks an
//! empty field. Dates of birth, nationalities and identifiers live in the
//! remarks, as `; `-separated clauses.

use std::collections::BTreeMap;
use std::path::Path;

use crate::import::{malformed, read};
use crate::model::{EntityKind, ListIdentifier, NameKind, country_code};
use crate::{ImportError, ListEntity};

fn field(s: Option<&str>) -> Option<String> {
    let t = s?.trim();
    (t != "-0-" && !t.is_empty()).then(|| t.to_owned())
}

/// Reads a file of records of exactly `fields` fields. A record of any other width (a file
/// cut off in the middle of a line, a misplaced quote) fails the whole import.
fn records(path: &Path, fields: usize) -> Result<Vec<csv::StringRecord>, ImportError> {
    let bytes = read(path)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut out = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| malformed(path, i as u64 + 1, e.to_string()))?;
        // The files end with a control-Z (0x1A) record in some releases.
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|f| f.trim().trim_matches('\u{1a}').is_empty())
        {
            continue;
        }
        if rec.len() != fields {
            return Err(malformed(
                path,
                i as u64 + 1,
                format!(
                    "{} fields where this file has {fields}: a cut-off or damaged file",
                    rec.len()
                ),
            ));
        }
        out.push(rec);
    }
    Ok(out)
}

fn companions(path: &Path) -> Result<[std::path::PathBuf; 3], ImportError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let dir = path.parent().unwrap_or(Path::new("."));
    let (add, alt, comments) = match name.to_ascii_lowercase().as_str() {
        "sdn.csv" => ("add.csv", "alt.csv", "sdn_comments.csv"),
        "cons_prim.csv" => ("cons_add.csv", "cons_alt.csv", "cons_comments.csv"),
        _ => {
            return Err(ImportError::Invalid(format!(
                "{}: give the sdn.csv or cons_prim.csv file; its companions are read from beside it",
                path.display()
            )));
        }
    };
    Ok([dir.join(add), dir.join(alt), dir.join(comments)])
}

/// Reads the remarks' clauses that corroborate a match.
fn remarks(e: &mut ListEntity, text: &str) {
    for clause in text.split(';').map(str::trim) {
        let lower = clause.to_lowercase();
        let after = |p: &str| {
            clause
                .get(p.len()..)
                .map(|s| s.trim().trim_end_matches('.').to_owned())
        };
        if lower.starts_with("dob ") {
            if let Some(d) = after("DOB ") {
                e.birth_dates.push(d);
            }
        } else if lower.starts_with("nationality ") || lower.starts_with("citizen ") {
            let v = clause.split_once(' ').map(|x| x.1).unwrap_or("");
            if let Some(c) = country_code(v) {
                e.nationalities.push(c);
            }
        } else if lower.starts_with("passport ") || lower.starts_with("national id no. ") {
            let (kind, rest) = if lower.starts_with("passport ") {
                ("passport", after("Passport ").unwrap_or_default())
            } else {
                ("national_id", after("National ID No. ").unwrap_or_default())
            };
            let (number, country) = match rest.split_once(" (") {
                Some((n, c)) => (n.trim().to_owned(), country_code(c.trim_end_matches(')'))),
                None => (rest.clone(), None),
            };
            if !number.is_empty() {
                e.identifiers.push(ListIdentifier {
                    kind: kind.into(),
                    value: number,
                    country,
                });
            }
        } else if lower.starts_with("email address ") {
            if let Some(v) = after("Email address ") {
                e.identifiers.push(ListIdentifier {
                    kind: "email".into(),
                    value: v,
                    country: None,
                });
            }
        } else if lower.starts_with("digital currency address - ") {
            // "Digital Currency Address - XBT 1Abc..."
            if let Some(v) = after("Digital Currency Address - ")
                && let Some((chain, addr)) = v.split_once(' ')
            {
                e.identifiers.push(ListIdentifier {
                    kind: "wallet".into(),
                    value: format!("{}:{}", chain.to_lowercase(), addr.trim()),
                    country: None,
                });
            }
        } else if lower.starts_with("phone ")
            && let Some(v) = after("Phone ")
        {
            e.identifiers.push(ListIdentifier {
                kind: "phone".into(),
                value: v,
                country: None,
            });
        }
    }
}

pub fn import(path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let [add, alt, comments] = companions(path)?;
    let mut by_id: BTreeMap<String, ListEntity> = BTreeMap::new();
    for (i, r) in records(path, 12)?.into_iter().enumerate() {
        let id =
            field(r.get(0)).ok_or_else(|| malformed(path, i as u64 + 1, "no entity number"))?;
        let name = field(r.get(1)).ok_or_else(|| malformed(path, i as u64 + 1, "no name"))?;
        let kind = match field(r.get(2)).as_deref().map(str::to_lowercase).as_deref() {
            Some("individual") => EntityKind::Person,
            Some("vessel") => EntityKind::Vessel,
            Some("aircraft") => EntityKind::Aircraft,
            None => EntityKind::Organization,
            Some(_) => EntityKind::Unknown,
        };
        let mut e = ListEntity::new(format!("ofac-{id}"), kind, name);
        if let Some(p) = field(r.get(3)) {
            e.programs.extend(
                p.split(['[', ']', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        if let Some(flag) = field(r.get(9)).and_then(|f| country_code(&f)) {
            e.countries.push(flag);
        }
        if let Some(rem) = field(r.get(11)) {
            remarks(&mut e, &rem);
            e.remarks = Some(rem);
        }
        by_id.insert(id, e);
    }
    for (i, r) in records(&comments, 2)?.into_iter().enumerate() {
        let id = field(r.get(0))
            .ok_or_else(|| malformed(&comments, i as u64 + 1, "no entity number"))?;
        if let (Some(e), Some(more)) = (by_id.get_mut(&id), field(r.get(1))) {
            remarks(e, &more);
            e.remarks = Some(
                format!("{} {more}", e.remarks.take().unwrap_or_default())
                    .trim()
                    .to_owned(),
            );
        }
    }
    for (i, r) in records(&add, 6)?.into_iter().enumerate() {
        let id =
            field(r.get(0)).ok_or_else(|| malformed(&add, i as u64 + 1, "no entity number"))?;
        let Some(e) = by_id.get_mut(&id) else {
            continue;
        };
        let parts: Vec<String> = [2, 3, 4].iter().filter_map(|&k| field(r.get(k))).collect();
        if let Some(c) = field(r.get(4)).and_then(|c| country_code(&c)) {
            e.countries.push(c);
        }
        if !parts.is_empty() {
            e.addresses.push(parts.join(", "));
        }
    }
    for (i, r) in records(&alt, 5)?.into_iter().enumerate() {
        let id =
            field(r.get(0)).ok_or_else(|| malformed(&alt, i as u64 + 1, "no entity number"))?;
        let Some(e) = by_id.get_mut(&id) else {
            continue;
        };
        let Some(name) = field(r.get(3)) else {
            continue;
        };
        let typ = field(r.get(2)).unwrap_or_default().to_lowercase();
        let weak = field(r.get(4)).is_some_and(|rem| rem.to_lowercase().contains("weak"));
        let kind = match (typ.as_str(), weak) {
            (_, true) => NameKind::WeakAlias,
            ("fka", _) => NameKind::Former,
            _ => NameKind::Alias,
        };
        e.add_name(&name, kind);
    }
    Ok(by_id.into_values().collect())
}
