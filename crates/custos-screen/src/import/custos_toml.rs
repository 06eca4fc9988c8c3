//! custos's own list of special-measure designations (EO 13984 section 2), as TOML:
//!
//! ```toml
//! [[designation]]
//! id = "sm-2027-001"
//! subject = { kind = "jurisdiction", country = "KP" }
//! measure = "prohibition"
//! effective = 2027-03-01
//! reference = "92 FR 12345"
//!
//! [[designation]]
//! id = "sm-2027-002"
//! subject = { kind = "person", name = "Example Hosting Ltd", aliases = ["EHL"], countries = ["RU"] }
//! measure = "conditions"
//! conditions = ["account.offering != 'trial'"]
//! determined = 2026-09-01
//! effective = 2027-03-01
//! expires = 2028-03-01
//! reference = "92 FR 12346"
//!
//! [[designation.extensions]]
//! until = 2029-03-01
//! reference = "93 FR 4321"
//! ```
//!
//! `determined` (optional) is when the authority decided; `extensions` (optional, oldest
//! first) each move the end.

use std::path::Path;

use serde::Deserialize;

use crate::import::read;
use crate::model::{Designation, DesignationSubject, EntityKind, Measure, NameKind, country_code};
use crate::{ImportError, ListEntity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    designation: Vec<Designation>,
}

/// Reads and checks a designations file: ids unique, countries ISO codes, conditions present
/// exactly for `conditions` and each a CEL expression naming only fields there are, expiry
/// after the effective date.
pub fn designations(path: &Path) -> Result<Vec<Designation>, ImportError> {
    parse_designations(&read(path)?, path)
}

/// The designations in `bytes`; `path` names them in messages.
pub fn parse_designations(bytes: &[u8], path: &Path) -> Result<Vec<Designation>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", path.display())))?;
    let f: File = toml::from_str(text).map_err(|e| ImportError::Malformed {
        file: path.display().to_string(),
        record: 0,
        reason: e.to_string(),
    })?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = vec![];
    for mut d in f.designation {
        if d.id.trim().is_empty() || !seen.insert(d.id.clone()) {
            return Err(ImportError::Invalid(format!(
                "designation {}: an id must be present and unique",
                d.id
            )));
        }
        // Who entered a designation is custos's to record, not a file's to claim.
        if d.entered {
            return Err(ImportError::Invalid(format!(
                "designation {}: `entered` is not a field of a designations file",
                d.id
            )));
        }
        check_designation(&mut d, DEFAULT_DAYS)
            .map_err(|why| ImportError::Invalid(format!("designation {}: {why}", d.id)))?;
        out.push(d);
    }
    Ok(out)
}

/// How long a designation lasts when it names no expiry: 365 days.
pub const DEFAULT_DAYS: i64 = 365;

/// Checks a designation and puts it in canonical form: countries as ISO codes, conditions
/// present exactly for `conditions` and each a CEL expression naming only fields there are
/// (`custos_core::measures::check_fields`), the determination no later than
/// the effective date, the expiry (`default_days` after the effective date when not given)
/// after it, each extension later than what it extends.
pub fn check_designation(d: &mut Designation, default_days: i64) -> Result<(), String> {
    if d.id.trim().is_empty()
        || d.id.len() > 100
        || !d
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("an id is 1 to 100 letters, digits, '-', '_' or '.'".into());
    }
    if d.reference.trim().is_empty() || d.reference.len() > 500 {
        return Err("the authority's reference is required, at most 500 bytes".into());
    }
    match &mut d.subject {
        DesignationSubject::Jurisdiction { country } => {
            *country =
                country_code(country).ok_or("the country is not an ISO 3166-1 code or name")?;
        }
        DesignationSubject::Person {
            name,
            aliases,
            countries,
            birth_date,
            ..
        } => {
            if name.trim().is_empty() {
                return Err("a designated person needs a name".into());
            }
            if let Some(b) = birth_date {
                let year = b.len() == 4 && b.bytes().all(|c| c.is_ascii_digit());
                let day = chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").is_ok();
                if !year && !day {
                    return Err("`date_of_birth` is a year (YYYY) or a day (YYYY-MM-DD)".into());
                }
            }
            if name.len() > 500
                || aliases.len() > 200
                || aliases.iter().any(|a| a.trim().is_empty() || a.len() > 500)
                || countries.len() > 50
            {
                return Err(
                    "a name or alias is at most 500 bytes, with at most 200 aliases and 50 \
                     countries"
                        .into(),
                );
            }
            for c in countries.iter_mut() {
                *c = country_code(c).ok_or("a country is not an ISO 3166-1 code or name")?;
            }
        }
    }
    match (d.measure, d.conditions.is_empty()) {
        (Measure::Conditions, true) => return Err("`conditions` names no condition".into()),
        (Measure::Prohibition, false) => return Err("a prohibition has no conditions".into()),
        _ => {}
    }
    for (i, c) in d.conditions.iter().enumerate() {
        check_condition(c)
            .and_then(|()| custos_core::measures::check_fields(c))
            .map_err(|why| format!("condition {}: {why}", i + 1))?;
    }
    if d.determined.is_some_and(|x| x > d.effective) {
        return Err("it takes effect before it was determined".into());
    }
    let expires = d
        .expires
        .unwrap_or(d.effective + chrono::Duration::days(default_days));
    if expires <= d.effective {
        return Err("expires before it takes effect".into());
    }
    d.expires = Some(expires);
    let mut last = expires;
    for e in &d.extensions {
        if e.until <= last {
            return Err("an extension must end later than what it extends".into());
        }
        if e.reference.trim().is_empty() {
            return Err("an extension needs the authority's reference".into());
        }
        last = e.until;
    }
    Ok(())
}

/// A condition is a CEL expression (see the Common Expression Language specification), meant
/// to be evaluated over `account`, checked by the `cel` crate's parser when the list is read,
/// so that a designation never carries a condition that cannot be parsed. (What it names is
/// checked beside this, by [`check_designation`], against the vocabulary
/// `custos_core::measures` documents.)
pub fn check_condition(condition: &str) -> Result<(), String> {
    if condition.trim().is_empty() {
        return Err("empty".into());
    }
    cel::Program::compile(condition)
        .map(|_| ())
        .map_err(|e| format!("not a CEL expression: {}", e.to_string().trim()))
}

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let all = parse_designations(bytes, path)?;
    if all.is_empty() {
        return Err(ImportError::Invalid(format!(
            "{} holds no designation",
            path.display()
        )));
    }
    Ok(all.into_iter().map(entity).collect())
}

/// A designation as a list entry, carrying the designation itself: a designated person with its
/// names (matched by name), a designated jurisdiction with none (matched by country).
pub fn entity(d: Designation) -> ListEntity {
    let mut e = match &d.subject {
        DesignationSubject::Person {
            name,
            aliases,
            entity_kind,
            birth_date,
            countries,
        } => {
            let mut e = ListEntity::new(
                d.id.clone(),
                entity_kind.unwrap_or(EntityKind::Unknown),
                name.clone(),
            );
            for a in aliases {
                e.add_name(a, NameKind::Alias);
            }
            e.birth_dates.extend(birth_date.clone());
            e.countries = countries.clone();
            e
        }
        DesignationSubject::Jurisdiction { country } => {
            let mut e = ListEntity::new(d.id.clone(), EntityKind::Unknown, "");
            e.names.clear();
            e.countries = vec![country.clone()];
            e
        }
    };
    e.programs.push(d.reference.clone());
    e.designation = Some(Box::new(d));
    e
}
