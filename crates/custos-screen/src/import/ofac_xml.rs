//! OFAC's SDN list (and the consolidated non-SDN list) as XML: `sdn.xml` / `consolidated.xml`
//! (`<sdnList>` of `<sdnEntry>`), the same records as the legacy CSV with their dates of birth,
//! nationalities, identifiers, addresses and aliases as elements of their own.
//!
//! Entry ids are `ofac-{uid}`, as the CSV importer makes them, so that versions imported from
//! either format diff against each other.

use std::path::Path;

use serde::Deserialize;

use crate::import::malformed;
use crate::model::{EntityKind, ListIdentifier, NameKind, country_code};
use crate::{ImportError, ListEntity};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SdnList {
    #[serde(rename = "sdnEntry", default)]
    entries: Vec<SdnEntry>,
}

#[derive(Debug, Default, Deserialize)]
struct Programs {
    #[serde(default)]
    program: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Id {
    id_type: Option<String>,
    id_number: Option<String>,
    id_country: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Ids {
    #[serde(default)]
    id: Vec<Id>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Aka {
    #[serde(rename = "type")]
    kind: Option<String>,
    category: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Akas {
    #[serde(default)]
    aka: Vec<Aka>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    address1: Option<String>,
    address2: Option<String>,
    address3: Option<String>,
    city: Option<String>,
    state_or_province: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Addresses {
    #[serde(default)]
    address: Vec<Address>,
}

#[derive(Debug, Default, Deserialize)]
struct CountryItem {
    country: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Nationalities {
    #[serde(default)]
    nationality: Vec<CountryItem>,
}

#[derive(Debug, Default, Deserialize)]
struct Citizenships {
    #[serde(default)]
    citizenship: Vec<CountryItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dob {
    date_of_birth: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dobs {
    #[serde(default)]
    date_of_birth_item: Vec<Dob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vessel {
    vessel_flag: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SdnEntry {
    uid: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    sdn_type: Option<String>,
    remarks: Option<String>,
    #[serde(default)]
    program_list: Programs,
    #[serde(default)]
    id_list: Ids,
    #[serde(default)]
    aka_list: Akas,
    #[serde(default)]
    address_list: Addresses,
    #[serde(default)]
    nationality_list: Nationalities,
    #[serde(default)]
    citizenship_list: Citizenships,
    #[serde(default)]
    date_of_birth_list: Dobs,
    vessel_info: Option<Vessel>,
}

fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// `LAST, First` for a person with a first name, as the CSV writes it; the last name alone
/// otherwise.
fn full_name(first: &Option<String>, last: &Option<String>) -> Option<String> {
    match (text(first), text(last)) {
        (Some(f), Some(l)) => Some(format!("{l}, {f}")),
        (None, Some(l)) => Some(l.to_owned()),
        (Some(f), None) => Some(f.to_owned()),
        (None, None) => None,
    }
}

/// An OFAC identifier type as the kinds custos screens with; `None` for what is not an
/// identifier of the party (e.g. "Additional Sanctions Information").
pub(crate) fn id_kind(t: &str) -> Option<String> {
    let l = t.trim().to_lowercase();
    if let Some(chain) = l.strip_prefix("digital currency address - ") {
        return Some(format!("wallet:{chain}"));
    }
    Some(
        match l.as_str() {
            "passport" | "diplomatic passport" => "passport",
            "national id no." | "cedula no." | "identification number" | "d.n.i." | "c.u.r.p." => {
                "national_id"
            }
            "email address" => "email",
            "phone number" => "phone",
            "tax id no." | "nit #" | "ruc #" | "rfc" | "c.u.i.t." | "vat number" => "tax_id",
            "registration number" | "company number" | "business registration number" => {
                "registration"
            }
            "imo number" | "vessel registration identification" => "imo",
            "aircraft manufacturer's serial number (msn)" => "msn",
            "website" | "additional sanctions information -" | "secondary sanctions risk:" => {
                return None;
            }
            _ if l.starts_with("additional sanctions information")
                || l.starts_with("secondary sanctions")
                || l.starts_with("organization established date")
                || l.starts_with("transactions prohibited")
                || l.starts_with("gender")
                || l.starts_with("website") =>
            {
                return None;
            }
            _ => "document",
        }
        .to_owned(),
    )
}

/// Adds an identifier: a wallet as `chain:address`, as the other importers write it.
pub(crate) fn push_identifier(
    e: &mut ListEntity,
    kind: &str,
    value: &str,
    country: Option<String>,
) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    let (kind, value) = match kind.strip_prefix("wallet:") {
        Some(chain) => ("wallet".to_owned(), format!("{chain}:{value}")),
        None => (kind.to_owned(), value.to_owned()),
    };
    e.identifiers.push(ListIdentifier {
        kind,
        value,
        country,
    });
}

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let text_in = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", path.display())))?;
    let list: SdnList =
        quick_xml::de::from_str(text_in).map_err(|e| malformed(path, 0, e.to_string()))?;
    let mut out = vec![];
    for (i, s) in list.entries.into_iter().enumerate() {
        let record = i as u64 + 1;
        let uid = text(&s.uid).ok_or_else(|| malformed(path, record, "an entry without a uid"))?;
        let name = full_name(&s.first_name, &s.last_name)
            .ok_or_else(|| malformed(path, record, "an entry without a name"))?;
        let kind = match text(&s.sdn_type).map(str::to_lowercase).as_deref() {
            Some("individual") => EntityKind::Person,
            Some("entity") | None => EntityKind::Organization,
            Some("vessel") => EntityKind::Vessel,
            Some("aircraft") => EntityKind::Aircraft,
            Some(_) => EntityKind::Unknown,
        };
        let mut e = ListEntity::new(format!("ofac-{uid}"), kind, name);
        e.programs = s
            .program_list
            .program
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        for a in &s.aka_list.aka {
            let Some(n) = full_name(&a.first_name, &a.last_name) else {
                continue;
            };
            let weak = text(&a.category).is_some_and(|c| c.eq_ignore_ascii_case("weak"));
            let former = text(&a.kind).is_some_and(|k| k.eq_ignore_ascii_case("f.k.a."));
            e.add_name(
                &n,
                match (weak, former) {
                    (true, _) => NameKind::WeakAlias,
                    (_, true) => NameKind::Former,
                    _ => NameKind::Alias,
                },
            );
        }
        for a in &s.address_list.address {
            let parts: Vec<&str> = [
                &a.address1,
                &a.address2,
                &a.address3,
                &a.city,
                &a.state_or_province,
                &a.postal_code,
                &a.country,
            ]
            .into_iter()
            .filter_map(text)
            .collect();
            if let Some(c) = text(&a.country).and_then(country_code) {
                e.countries.push(c);
            }
            if !parts.is_empty() {
                e.addresses.push(parts.join(", "));
            }
        }
        for c in s
            .nationality_list
            .nationality
            .iter()
            .chain(&s.citizenship_list.citizenship)
        {
            if let Some(cc) = text(&c.country).and_then(country_code) {
                e.nationalities.push(cc);
            }
        }
        for d in &s.date_of_birth_list.date_of_birth_item {
            if let Some(v) = text(&d.date_of_birth) {
                e.birth_dates.push(v.to_owned());
            }
        }
        if let Some(flag) = s
            .vessel_info
            .as_ref()
            .and_then(|v| text(&v.vessel_flag))
            .and_then(country_code)
        {
            e.countries.push(flag);
        }
        for id in &s.id_list.id {
            let (Some(t), Some(n)) = (text(&id.id_type), text(&id.id_number)) else {
                continue;
            };
            if let Some(kind) = id_kind(t) {
                let country = text(&id.id_country).and_then(country_code);
                push_identifier(&mut e, &kind, n, country);
            }
        }
        e.remarks = text(&s.remarks).map(str::to_owned);
        out.push(e);
    }
    Ok(out)
}
