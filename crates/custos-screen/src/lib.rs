#![doc = include_str!("../README.md")]

pub mod geo;
pub mod import;
pub mod index;
pub mod model;
pub mod names;
pub mod reference;
pub mod romanize;
pub mod screen;
pub mod synth;
pub mod version;

pub use model::{Designation, EntityKind, ListEntity, Name, NameKind};
pub use version::{Diff, ListVersion};

/// Why a list could not be imported. Nothing is returned in part.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    // The source is the next link of the error chain, not repeated here.
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}, record {record}: {reason}")]
    Malformed {
        file: String,
        record: u64,
        reason: String,
    },
    #[error("{0}")]
    Invalid(String),
}
