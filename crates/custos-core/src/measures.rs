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
//! These are the only fields there are: a condition naming another (`account.offerng`) is
//! refused when it is entered ([`check_fields`]), as one that does not parse is, since it could
//! never be met and would hold every account it reaches. The keys of `resources` are the
//! control plane's own, so any is accepted; a macro's own variables (the `t` of
//! `account.tags.exists(t, t == 'vip')`) are not fields.
//!
//! A condition that does not evaluate to a boolean (a resource the control plane has not
//! reported, a type error) is not met: the measure fails closed. The `cel` crate evaluates;
//! `custos-screen`'s `tests/conditions.rs` holds its results against cel-python's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cel_check::Shape;
use crate::customer::CustomerSummary;
use crate::kinds::Method;
use crate::kinds::SubjectRole;
use crate::kinds::{AccountKind, Offering};
use crate::verification::MethodOutcome;

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

/// The fields of `account`, as [`AccountFacts`] presents them, and what each holds.
pub(crate) const ACCOUNT_FIELDS: &[(&str, Shape)] = &[
    ("id", Shape::Value),
    ("kind", Shape::Value),
    ("offering", Shape::Value),
    ("depth", Shape::Value),
    ("resources", Shape::Map),
    ("monitoring", Shape::Value),
    ("tags", Shape::List),
];

/// The fields of `customer`, as [`CustomerFacts`] presents them.
const CUSTOMER_FIELDS: &[(&str, Shape)] = &[
    ("entity", Shape::Value),
    ("us_person", Shape::Value),
    ("verified_by", Shape::List),
    ("verified", Shape::Value),
    ("owners_verified", Shape::Value),
];

/// Checks that a condition names only variables and fields there are (see the module's
/// documentation): the reason otherwise, naming the field. A condition that does not parse
/// is refused too.
pub fn check_fields(condition: &str) -> Result<(), String> {
    crate::cel_check::check(
        condition,
        &[
            ("account", Shape::Object("account", ACCOUNT_FIELDS)),
            ("customer", Shape::Object("customer", CUSTOMER_FIELDS)),
        ],
        "a condition reads `account` and `customer`",
    )
    .map(|_| ())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `expect` is `ok`, or a part of the reason the condition is refused.
    fn check(condition: &str, expect: &str) {
        match (check_fields(condition), expect) {
            (Ok(()), "ok") => {}
            (Err(why), e) if e != "ok" => assert!(why.contains(e), "`{condition}`: {why}"),
            (got, _) => panic!("`{condition}`: expected {expect}, got {got:?}"),
        }
    }

    #[test]
    fn conditions_name_only_the_fields_there_are() {
        for (condition, expect) in [
            ("account.offering != 'trial'", "ok"),
            ("'document' in customer.verified_by", "ok"),
            ("account.resources.gpus <= 8", "ok"),
            (
                "!has(account.resources.gpus) || account.resources.gpus == 0",
                "ok",
            ),
            ("account.resources['vcpus'] < 10", "ok"),
            ("account['offering'] == 'paid'", "ok"),
            (
                "account.kind != 'sub_lessee' || account.monitoring == 'enhanced'",
                "ok",
            ),
            ("account.tags.exists(t, t == 'vip')", "ok"),
            ("customer.verified_by.all(m, m != 'address')", "ok"),
            (
                "account.tags.map(t, t + 'x').exists(u, u == t2)",
                "`t2` is not a variable",
            ),
            (
                "account.depth == 0 && customer.verified && customer.owners_verified",
                "ok",
            ),
            ("customer.entity || customer.us_person", "ok"),
            ("type(account.depth) == int", "ok"),
            ("size(account.id) > 0", "ok"),
            (
                "account.offerng != 'trial'",
                "`account.offerng` is not a field: `account` has id, kind, offering, depth, \
                 resources, monitoring and tags",
            ),
            ("has(account.offerng)", "`account.offerng` is not a field"),
            (
                "account['offerng'] == 'trial'",
                "`account.offerng` is not a field",
            ),
            ("account.vcpus <= 4", "`account.vcpus` is not a field"),
            (
                "customer.verfied",
                "`customer.verfied` is not a field: `customer` has entity",
            ),
            (
                "account.kind.name == 'x'",
                "`account.kind` has no field `name`",
            ),
            (
                "account.resources.gpus.count == 1",
                "`account.resources.gpus` has no field",
            ),
            ("acount.offering != 'trial'", "`acount` is not a variable"),
            // A macro's variable is not a field, and is gone outside its macro.
            (
                "account.tags.exists(t, t == 'vip') && t == 'x'",
                "`t` is not a variable",
            ),
            ("account.tags.exists(t, t.x == 1)", "ok"),
            ("account.offering != 'trial", "not a CEL expression"),
        ] {
            check(condition, expect);
        }
    }

    /// The vocabulary is what the facts are: a field added to them is a field conditions may
    /// name, and one removed is refused.
    #[test]
    fn the_vocabulary_is_the_facts_fields() {
        let profile = AccountProfile::default();
        let a = AccountFacts::new("acc_1", AccountKind::Direct, Offering::Paid, 0, &profile);
        let c = CustomerFacts {
            entity: false,
            us_person: false,
            verified_by: vec![],
            verified: false,
            owners_verified: false,
        };
        for (value, fields) in [
            (serde_json::to_value(&a).unwrap(), ACCOUNT_FIELDS),
            (serde_json::to_value(&c).unwrap(), CUSTOMER_FIELDS),
        ] {
            let mut keys: Vec<&str> = value
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            keys.sort_unstable();
            let mut ours: Vec<&str> = fields.iter().map(|f| f.0).collect();
            ours.sort_unstable();
            assert_eq!(keys, ours);
        }
    }
}
