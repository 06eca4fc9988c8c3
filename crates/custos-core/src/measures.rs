//! Special measures' conditions (EO 13984 section 2) evaluated over an account.
//!
//! A designation with conditions says what an account of a designated person, or of a person in
//! a designated jurisdiction, must satisfy. Each condition is a CEL expression (the Common
//! Expression Language) that must evaluate to `true` over two variables:
//!
//! - `account`: `id`, `kind` (`direct`, `reseller`, `sub_lessee`), `offering` (`paid`, `trial`,
//!   `complimentary`), `depth` (how many reseller accounts stand above it: 0 for an account the
//!   provider holds with the customer directly), and what the provider's control plane reports
//!   of it (`PUT /v1/accounts/{id}/profile`): `resources` (a map of counts, e.g. `vcpus`,
//!   `gpus`), `monitoring` (`standard` unless reported otherwise) and `tags`;
//! - `customer`: `entity`, `us_person` (the customer and every beneficial owner that counts),
//!   `verified_by` (the methods the customer passed, e.g. `document`), `verified` and
//!   `owners_verified`.
//!
//! For example: require documentary verification, `'document' in customer.verified_by`; forbid
//! trial offerings, `account.offering != 'trial'`; cap resources,
//! `account.resources.vcpus <= 8`; require enhanced monitoring,
//! `account.monitoring == 'enhanced'`; forbid reseller sub-accounts, `account.depth == 0`.
//!
//! A condition that does not evaluate to a boolean (a resource the control plane has not
//! reported, a type error) is not met: the measure fails closed. The `cel` crate evaluates;
//! `custos-screen`'s `tests/conditions.rs` holds its results against cel-python's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::{AccountKind, Offering};
use crate::customer::{CustomerSummary, SubjectRole};
use crate::verification::{Method, MethodOutcome};

/// What the provider's control plane reports of an account, for conditions to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountProfile {
    /// Resource counts, e.g. `{"vcpus": 8, "gpus": 0}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, i64>,
    /// The monitoring level applied to the account (`standard` when not reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The account as conditions see it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountFacts<'a> {
    pub id: &'a str,
    pub kind: AccountKind,
    pub offering: Offering,
    pub depth: i64,
    pub resources: &'a BTreeMap<String, i64>,
    pub monitoring: &'a str,
    pub tags: &'a [String],
}

impl<'a> AccountFacts<'a> {
    pub fn new(
        id: &'a str,
        kind: AccountKind,
        offering: Offering,
        depth: u32,
        profile: &'a AccountProfile,
    ) -> Self {
        AccountFacts {
            id,
            kind,
            offering,
            depth: i64::from(depth),
            resources: &profile.resources,
            monitoring: profile.monitoring.as_deref().unwrap_or("standard"),
            tags: &profile.tags,
        }
    }
}

/// The customer as conditions see it: classifications only, nothing personal.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerFacts {
    pub entity: bool,
    pub us_person: bool,
    pub verified_by: Vec<Method>,
    pub verified: bool,
    pub owners_verified: bool,
}

impl CustomerFacts {
    /// What the clear summary says. `verified` (and `owners_verified`) mean every such subject
    /// that needs verification has it, or needs none.
    pub fn of(
        c: &CustomerSummary,
        subject_verified: impl Fn(&crate::customer::SubjectSummary) -> bool,
    ) -> Self {
        let mut verified_by = vec![];
        let mut verified = true;
        let mut owners_verified = true;
        for s in c.active_subjects() {
            let ok = subject_verified(s);
            match s.role {
                SubjectRole::Customer => {
                    verified &= ok;
                    for r in &s.verification.results {
                        if r.outcome == MethodOutcome::Pass && !verified_by.contains(&r.method) {
                            verified_by.push(r.method);
                        }
                    }
                }
                SubjectRole::BeneficialOwner => owners_verified &= ok,
            }
        }
        verified_by.sort_by_key(|m| format!("{m:?}"));
        CustomerFacts {
            entity: c.entity,
            us_person: c.all_us_persons(),
            verified_by,
            verified,
            owners_verified,
        }
    }
}

/// Why a condition is not met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unmet {
    pub condition: String,
    /// `false`, or why it could not be evaluated.
    pub why: String,
}

/// Evaluates one condition: `Ok(())` when it holds, the reason otherwise.
pub fn check(
    condition: &str,
    account: &AccountFacts<'_>,
    customer: &CustomerFacts,
) -> Result<(), Unmet> {
    let unmet = |why: String| Unmet {
        condition: condition.to_owned(),
        why,
    };
    let program = cel::Program::compile(condition)
        .map_err(|e| unmet(format!("not a CEL expression: {}", e.to_string().trim())))?;
    let mut ctx = cel::Context::default();
    let a = cel::to_value(account).map_err(|e| unmet(format!("account: {e}")))?;
    let c = cel::to_value(customer).map_err(|e| unmet(format!("customer: {e}")))?;
    ctx.add_variable_from_value("account", a);
    ctx.add_variable_from_value("customer", c);
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(true)) => Ok(()),
        Ok(cel::Value::Bool(false)) => Err(unmet("false".into())),
        Ok(other) => Err(unmet(format!(
            "evaluates to {:?}, not a boolean",
            other.type_of()
        ))),
        Err(e) => Err(unmet(format!("cannot be evaluated: {e}"))),
    }
}

/// Every condition of `conditions` that does not hold.
pub fn unmet(
    conditions: &[String],
    account: &AccountFacts<'_>,
    customer: &CustomerFacts,
) -> Vec<Unmet> {
    conditions
        .iter()
        .filter_map(|c| check(c, account, customer).err())
        .collect()
}
