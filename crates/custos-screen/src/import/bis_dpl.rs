//! The BIS Denied Persons List: tab-separated text with a header row.

use std::path::Path;

use crate::import::{malformed, synthetic_id};
use crate::model::{EntityKind, country_code};
use crate::{ImportError, ListEntity};

/// The list in `bytes`; `path` names it in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(false)
        .from_reader(bytes);
    let headers = r
        .headers()
        .map_err(|e| malformed(path, 0, e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(name_i), Some(street_i), Some(city_i), Some(country_i)) = (
        col("Name"),
        col("Street_Address"),
        col("City"),
        col("Country"),
    ) else {
        return Err(malformed(
            path,
            0,
            "missing the Name, Street_Address, City or Country column",
        ));
    };
    let order_i = col("FR_Citation");
    let mut out: Vec<ListEntity> = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| malformed(path, i as u64 + 2, e.to_string()))?;
        let get = |k: usize| rec.get(k).map(str::trim).unwrap_or("");
        let name = get(name_i);
        if name.is_empty() {
            return Err(malformed(path, i as u64 + 2, "no name"));
        }
        let id = synthetic_id("bis-dpl", &[name, get(street_i), get(city_i)]);
        // The same person can be listed twice at one address (two orders): merge them.
        if let Some(e) = out.iter_mut().find(|e| e.id == id) {
            if let Some(k) = order_i {
                e.programs.push(get(k).to_owned());
            }
            continue;
        }
        let mut e = ListEntity::new(id, EntityKind::Unknown, name);
        let addr: Vec<&str> = [get(street_i), get(city_i), col("State").map_or("", get)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if !addr.is_empty() {
            e.addresses.push(addr.join(", "));
        }
        if let Some(c) = country_code(get(country_i)) {
            e.countries.push(c);
        }
        if let Some(k) = order_i
            && !get(k).is_empty()
        {
            e.programs.push(get(k).to_owned());
        }
        out.push(e);
    }
    Ok(out)
}
