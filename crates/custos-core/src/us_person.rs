//! What triage finds of a subject: whether it is a United States person (EO 13984 section
//! 5(k)), on what basis, and the evidence that rests on. Kept with the subject's record; the
//! rules that find it are in `triage`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::Country;

/// Why a subject is, or is not, a United States person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsPersonBasis {
    Citizen,
    LawfulPermanentResident,
    UsEntity,
    LocatedInUs,
    Foreign,
}

/// What kind of fact a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    DeclaredCitizenship,
    DeclaredLawfulPermanentResident,
    Document,
    Jurisdiction,
    ResidenceAddress,
    IpLocation,
}

/// One fact the triage considered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub kind: EvidenceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// Whether this fact points to the United States.
    pub points_to_us: bool,
    pub detail: String,
}

/// The outcome of triage for one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Triage {
    pub us_person: bool,
    pub basis: UsPersonBasis,
    pub evidence: Vec<Evidence>,
}

impl Triage {
    /// Used only between creating a subject and its first triage: foreign until shown otherwise.
    pub fn placeholder() -> Self {
        Triage {
            us_person: false,
            basis: UsPersonBasis::Foreign,
            evidence: vec![],
        }
    }
}
