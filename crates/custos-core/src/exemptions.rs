//! Exemptions (EO 13984 1(c)): a provider, a type of account or a lessee can be exempted from
//! requirements when it follows security best practices that deter abuse (an Abuse Deterrence
//! Program, for one). Each has a reason, a scope, the requirements it lifts, a start and an
//! expiry; an exempted account skips those requirements, and its decision says so.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::ids::CustomerId;
use crate::kinds::{AccountKind, Offering};

/// What an exemption covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExemptionScope {
    /// Every account of the provider.
    Provider,
    /// Accounts of a kind, an offering, or both.
    AccountType {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account_kind: Option<AccountKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offering: Option<Offering>,
    },
    /// Every account of one lessee.
    Lessee { customer_id: CustomerId },
}

/// A requirement an exemption can lift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Verifying the identity of foreign customers and beneficial owners (EO 1(a)(i)); an
    /// exempted account is not held while they are unverified.
    Verification,
    /// Periodic re-verification of verified foreign subjects.
    Reverification,
}

/// An exemption as granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Exemption {
    pub id: String,
    /// Why it was granted, e.g. "Abuse Deterrence Program accepted by Commerce". (Named
    /// `basis` before; records kept under that name read as before.)
    #[serde(alias = "basis")]
    pub reason: String,
    pub scope: ExemptionScope,
    pub requirements: Vec<Requirement>,
    pub starts: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// The authority's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub granted_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The part of an exemption an account decision carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedExemption {
    pub id: String,
    #[serde(alias = "basis")]
    pub reason: String,
    pub requirements: Vec<Requirement>,
}

impl Exemption {
    /// Checks the exemption's shape.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.requirements.is_empty() {
            return Err(CoreError::invalid(
                "requirements",
                "name at least one requirement it lifts",
            ));
        }
        if let ExemptionScope::AccountType {
            account_kind: None,
            offering: None,
        } = self.scope
        {
            return Err(CoreError::invalid(
                "scope",
                "an account type names an account_kind, an offering, or both",
            ));
        }
        if self.expires.is_some_and(|x| x <= self.starts) {
            return Err(CoreError::invalid("expires", "is not after it starts"));
        }
        Ok(())
    }

    /// Whether it is in force at `at`.
    pub fn in_force(&self, at: DateTime<Utc>) -> bool {
        at >= self.starts
            && self.expires.is_none_or(|x| at < x)
            && self.revoked_at.is_none_or(|r| at < r)
    }

    /// Whether it covers an account of `customer`, of this kind and offering, at `at`.
    pub fn covers(
        &self,
        customer: &CustomerId,
        kind: AccountKind,
        offering: Offering,
        at: DateTime<Utc>,
    ) -> bool {
        self.in_force(at)
            && match &self.scope {
                ExemptionScope::Provider => true,
                ExemptionScope::AccountType {
                    account_kind,
                    offering: o,
                } => account_kind.is_none_or(|k| k == kind) && o.is_none_or(|x| x == offering),
                ExemptionScope::Lessee { customer_id } => customer_id == customer,
            }
    }

    pub fn applied(&self) -> AppliedExemption {
        AppliedExemption {
            id: self.id.clone(),
            reason: self.reason.clone(),
            requirements: self.requirements.clone(),
        }
    }
}

/// The exemptions among `all` that cover an account, as its decision carries them.
pub fn covering(
    all: &[Exemption],
    customer: &CustomerId,
    kind: AccountKind,
    offering: Offering,
    at: DateTime<Utc>,
) -> Vec<AppliedExemption> {
    all.iter()
        .filter(|e| e.covers(customer, kind, offering, at))
        .map(Exemption::applied)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0).unwrap()
    }

    fn ex(scope: ExemptionScope) -> Exemption {
        Exemption {
            id: "ex_1".into(),
            reason: "ADP".into(),
            scope,
            requirements: vec![Requirement::Verification],
            starts: t(10),
            expires: Some(t(20)),
            reference: None,
            granted_by: "k".into(),
            revoked_at: None,
        }
    }

    #[test]
    fn scope_and_time() {
        let c = CustomerId::parse("cus_a").unwrap();
        let other = CustomerId::parse("cus_b").unwrap();
        use AccountKind::*;
        use Offering::*;
        let p = ex(ExemptionScope::Provider);
        assert!(!p.covers(&c, Direct, Paid, t(9)));
        assert!(p.covers(&c, Direct, Paid, t(10)));
        assert!(!p.covers(&c, Direct, Paid, t(20)));
        let ty = ex(ExemptionScope::AccountType {
            account_kind: None,
            offering: Some(Trial),
        });
        assert!(ty.covers(&c, Reseller, Trial, t(12)));
        assert!(!ty.covers(&c, Reseller, Paid, t(12)));
        let l = ex(ExemptionScope::Lessee {
            customer_id: c.clone(),
        });
        assert!(l.covers(&c, SubLessee, Paid, t(12)));
        assert!(!l.covers(&other, SubLessee, Paid, t(12)));
        let mut r = p.clone();
        r.revoked_at = Some(t(15));
        assert!(r.covers(&c, Direct, Paid, t(14)) && !r.covers(&c, Direct, Paid, t(15)));
        assert_eq!(covering(&[p, l], &other, Direct, Paid, t(12)).len(), 1);
    }

    #[test]
    fn shape() {
        let mut e = ex(ExemptionScope::AccountType {
            account_kind: None,
            offering: None,
        });
        assert!(e.check().is_err());
        e.scope = ExemptionScope::Provider;
        assert!(e.check().is_ok());
        e.requirements.clear();
        assert!(e.check().is_err());
        e.requirements = vec![Requirement::Verification];
        e.expires = Some(e.starts);
        assert!(e.check().is_err());
    }
}
