//! Importers, one per real list format. Each reads the whole list or fails: a list is never
//! returned in part.

mod bis_dpl;
mod csl_csv;
mod custos_toml;
mod ftm_json;
mod ofac_advanced;
mod ofac_csv;
mod ofac_xml;
mod un_xml;

use std::path::Path;

use crate::{ImportError, ListEntity};

pub use custos_toml::{
    DEFAULT_DAYS, check_condition, check_designation, designations, entity as designation_entity,
};

/// A list format, as `custos lists import --format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OFAC legacy CSV: `sdn.csv` (or `cons_prim.csv`) with its companions beside it.
    OfacCsv,
    /// OFAC `sdn.xml` or `consolidated.xml`.
    OfacXml,
    /// OFAC `sdn_advanced.xml` or `cons_advanced.xml`.
    OfacAdvancedXml,
    UnXml,
    BisDpl,
    CslCsv,
    FtmJson,
    CustosToml,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        Ok(match s {
            "ofac-csv" => Format::OfacCsv,
            "ofac-xml" => Format::OfacXml,
            "ofac-advanced-xml" => Format::OfacAdvancedXml,
            "un-xml" => Format::UnXml,
            "bis-dpl" => Format::BisDpl,
            "csl-csv" => Format::CslCsv,
            "ftm-json" => Format::FtmJson,
            "custos-toml" => Format::CustosToml,
            other => {
                return Err(format!(
                    "unknown format `{other}`: ofac-csv, ofac-xml, ofac-advanced-xml, un-xml, bis-dpl, csl-csv, ftm-json, custos-toml"
                ));
            }
        })
    }

    /// What a list in this format asks of a provider unless the import says otherwise: OFAC's
    /// and the UN's sanctions bar the relationship; BIS's Denied Persons List denies export
    /// privileges and the Consolidated Screening List gathers lists of many effects, so their
    /// hits go to a reviewer; an OpenSanctions dataset may be anything (sanctions, politically
    /// exposed persons, donations), so a reviewer looks too. A designations file carries each
    /// designation's own measure (`None`).
    pub fn default_measure(self) -> Option<custos_core::screening::ListMeasure> {
        use custos_core::screening::ListMeasure;
        match self {
            Format::OfacCsv | Format::OfacXml | Format::OfacAdvancedXml | Format::UnXml => {
                Some(ListMeasure::Prohibition)
            }
            Format::BisDpl | Format::CslCsv | Format::FtmJson => Some(ListMeasure::Review),
            Format::CustosToml => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::OfacCsv => "ofac-csv",
            Format::OfacXml => "ofac-xml",
            Format::OfacAdvancedXml => "ofac-advanced-xml",
            Format::UnXml => "un-xml",
            Format::BisDpl => "bis-dpl",
            Format::CslCsv => "csl-csv",
            Format::FtmJson => "ftm-json",
            Format::CustosToml => "custos-toml",
        }
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Imports the list at `path`. The entities come back canonicalised and sorted by id; an
/// empty list is refused (a truncated download looks like one).
pub fn import(format: Format, path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let list = match format {
        // Four files, read from beside each other.
        Format::OfacCsv => ofac_csv::import(path)?,
        _ => return import_bytes(format, &read(path)?, path),
    };
    finish(format, list, path)
}

/// Imports a list from a reader (a download, an upload, text built in memory); `name` names it
/// in messages. As [`import`]; an OFAC CSV list, which is four files, is refused here.
pub fn import_reader(
    format: Format,
    mut reader: impl std::io::Read,
    name: &str,
) -> Result<Vec<ListEntity>, ImportError> {
    let mut bytes = vec![];
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| ImportError::Read {
            path: name.to_owned(),
            source,
        })?;
    import_bytes(format, &bytes, Path::new(name))
}

fn import_bytes(format: Format, bytes: &[u8], path: &Path) -> Result<Vec<ListEntity>, ImportError> {
    let list = match format {
        Format::OfacCsv => {
            return Err(ImportError::Invalid(format!(
                "{}: an OFAC CSV list is four files (sdn.csv with add.csv, alt.csv and \
                 sdn_comments.csv): import it from the directory that holds them",
                path.display()
            )));
        }
        Format::OfacXml => ofac_xml::parse(bytes, path)?,
        Format::OfacAdvancedXml => ofac_advanced::parse(bytes, path)?,
        Format::UnXml => un_xml::parse(bytes, path)?,
        Format::BisDpl => bis_dpl::parse(bytes, path)?,
        Format::CslCsv => csl_csv::parse(bytes, path)?,
        Format::FtmJson => ftm_json::parse(bytes, path)?,
        Format::CustosToml => custos_toml::parse(bytes, path)?,
    };
    finish(format, list, path)
}

/// Canonicalises and sorts what was read; refuses an empty list and duplicate ids.
fn finish(
    format: Format,
    mut list: Vec<ListEntity>,
    path: &Path,
) -> Result<Vec<ListEntity>, ImportError> {
    // Designations may all be jurisdictions (no entries to match by name); a downloaded list
    // with no entries is a broken download.
    if list.is_empty() && format != Format::CustosToml {
        return Err(ImportError::Invalid(format!(
            "{} holds no entries: refusing to replace a list with an empty one",
            path.display()
        )));
    }
    for e in &mut list {
        e.canonicalize();
    }
    list.sort_by(|a, b| a.id.cmp(&b.id));
    let dup = list.windows(2).find(|w| w[0].id == w[1].id);
    if let Some(w) = dup {
        return Err(ImportError::Invalid(format!(
            "duplicate entry id {}",
            w[0].id
        )));
    }
    Ok(list)
}

/// A stable id for a list that has none: a hash of what identifies the entry.
pub(crate) fn synthetic_id(prefix: &str, parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.trim().to_uppercase().as_bytes());
        h.update([0]);
    }
    format!("{prefix}-{}", &hex::encode(h.finalize())[..16])
}

pub(crate) fn malformed(file: &Path, record: u64, reason: impl Into<String>) -> ImportError {
    ImportError::Malformed {
        file: file.display().to_string(),
        record,
        reason: reason.into(),
    }
}
