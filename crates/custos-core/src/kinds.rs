//! The kinds every part of the domain names: of account, of offering, of account status, of
//! subject, and of verification method. Here, below every rule, so that no two rule modules
//! import each other for them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// The customer uses the IaaS products itself.
    Direct,
    /// The customer offers the products, in whole or part, to third parties (EO 5(h)).
    Reseller,
    /// A reseller's customer; the account hangs under the reseller's account.
    SubLessee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Offering {
    Paid,
    /// Free and trial offerings are IaaS products too (EO 5(e)).
    Trial,
    Complimentary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    PendingVerification,
    Active,
    Restricted,
    Suspended,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::PendingVerification => "pending_verification",
            AccountStatus::Active => "active",
            AccountStatus::Restricted => "restricted",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending_verification" => AccountStatus::PendingVerification,
            "active" => AccountStatus::Active,
            "restricted" => AccountStatus::Restricted,
            "suspended" => AccountStatus::Suspended,
            "closed" => AccountStatus::Closed,
            _ => return None,
        })
    }

    /// The customer may use the account (possibly within restrictions).
    pub fn usable(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::Restricted)
    }
}

/// The role a subject of verification plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectRole {
    Customer,
    BeneficialOwner,
}

/// A verification method. `document` is documentary; the others are non-documentary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A passport, identity card or, for an entity, its registration documents.
    Document,
    /// Control of the email address was confirmed.
    Email,
    /// Control of the telephone number was confirmed.
    Phone,
    /// The address was confirmed against an independent source.
    Address,
    /// The payment instrument was confirmed to belong to the subject.
    PaymentInstrument,
    /// Where the subject connects from is consistent with what it declared.
    IpLocation,
}

impl Method {
    pub fn is_documentary(self) -> bool {
        self == Method::Document
    }

    /// The method's name, as the API and the policy spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Document => "document",
            Method::Email => "email",
            Method::Phone => "phone",
            Method::Address => "address",
            Method::PaymentInstrument => "payment_instrument",
            Method::IpLocation => "ip_location",
        }
    }
}
