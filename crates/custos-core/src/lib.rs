#![doc = include_str!("../README.md")]

pub mod abuse;
pub mod account;
mod cel_check;
pub mod customer;
pub mod detection;
pub mod error;
pub mod exemptions;
pub mod flags;
pub mod ids;
pub mod kinds;
pub mod legal;
pub mod measures;
pub mod payment;
pub mod policy;
pub mod records;
pub mod retention;
pub mod screening;
pub mod status;
pub mod text;
pub mod triage;
pub mod us_person;
pub mod verification;

pub use account::{
    Account, AccountDecision, AccountKind, AccountStatus, Decision, Offering, ParentInfo,
    ReasonCode, RequiredStep,
};
pub use customer::{
    Address, BeneficialOwner, Contact, ContactKind, Customer, CustomerProfile, Document,
    DocumentKind, Entity, Individual, LegalHold, LocationObservation, NationalId, PaymentMeans,
    PaymentSource, Subject, SubjectRole,
};
pub use error::CoreError;
pub use ids::{AccountId, Country, CustomerId, SubjectId};
pub use policy::{CipPolicy, RiskLevel};
pub use triage::{Evidence, EvidenceKind, Triage, UsPersonBasis};
pub use verification::{Method, MethodOutcome, MethodResult, VerificationState};
