//! List versions: what was imported, when, from where, its content hash, and what changed
//! from the version before.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ListEntity;

/// One imported version of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListVersion {
    /// The list's name, e.g. `ofac-sdn`.
    pub list: String,
    pub format: String,
    /// Where it came from: a file path or URL.
    pub source: String,
    pub retrieved_at: DateTime<Utc>,
    /// SHA-256 over the canonical entries: equal content, equal hash, whatever the file's
    /// order or formatting.
    pub content_hash: String,
    pub entries: usize,
    /// What the list's hits ask of a provider (see `custos_core::screening::ListMeasure`).
    #[serde(default)]
    pub measure: custos_core::screening::ListMeasure,
}

/// The content hash of canonicalised entries sorted by id.
pub fn content_hash(entities: &[ListEntity]) -> String {
    let mut h = Sha256::new();
    for e in entities {
        // Canonical JSON of a canonicalised entity: serde_json writes struct fields in
        // declaration order.
        h.update(serde_json::to_vec(e).unwrap_or_default());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// What changed between two versions of a list, by entry id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares two versions; both must be sorted by id (as `import` returns them).
pub fn diff(old: &[ListEntity], new: &[ListEntity]) -> Diff {
    let mut d = Diff::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a.id == b.id => {
                if a != b {
                    d.changed.push(b.id.clone());
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.id < b.id => {
                d.removed.push(a.id.clone());
                i += 1;
            }
            (Some(_), Some(b)) => {
                d.added.push(b.id.clone());
                j += 1;
            }
            (Some(a), None) => {
                d.removed.push(a.id.clone());
                i += 1;
            }
            (None, Some(b)) => {
                d.added.push(b.id.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    d
}
