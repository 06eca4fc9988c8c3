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
const ACCOUNT_FIELDS: &[(&str, Shape)] = &[
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

/// CEL's type names, which an expression may use as values (`type(account.depth) == int`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "int",
    "uint",
    "string",
    "list",
    "map",
    "null_type",
    "type",
];

/// What an expression of a condition is, as far as its names go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `account` or `customer`: only their fields may be selected.
    Object(&'static str, &'static [(&'static str, Shape)]),
    /// A map whose keys are not ours to know (`account.resources`).
    Map,
    List,
    /// A string, number or boolean: nothing to select.
    Value,
    /// Anything else (a macro's variable, a call's result): not checked.
    Unknown,
}

/// Checks that a condition names only variables and fields there are (see the module's
/// documentation): the reason otherwise, naming the field. A condition that does not parse
/// is refused too.
pub fn check_fields(condition: &str) -> Result<(), String> {
    let program = cel::Program::compile(condition)
        .map_err(|e| format!("not a CEL expression: {}", e.to_string().trim()))?;
    let mut bound = vec![];
    shape(program.expression(), &mut bound).map(|_| ())
}

fn fields_list(fields: &[(&str, Shape)]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The shape of `operand.field` (or `operand[field]`): an object's field must be one of its own.
fn select(operand: Shape, field: &str, path: &str) -> Result<Shape, String> {
    match operand {
        Shape::Object(name, fields) => fields
            .iter()
            .find(|f| f.0 == field)
            .map(|f| f.1)
            .ok_or_else(|| {
                format!(
                    "`{name}.{field}` is not a field: `{name}` has {}",
                    fields_list(fields)
                )
            }),
        Shape::Map => Ok(Shape::Value),
        Shape::List | Shape::Value => Err(format!("`{path}` has no field `{field}`")),
        Shape::Unknown => Ok(Shape::Unknown),
    }
}

/// How `e` reads, as written (for messages): `account.resources`.
fn path(e: &cel::IdedExpr) -> String {
    use cel::common::ast::Expr;
    match &e.expr {
        Expr::Ident(n) => n.clone(),
        Expr::Select(s) => format!("{}.{}", path(&s.operand), s.field),
        _ => "the value".into(),
    }
}

/// The shape of `e`, checking every name in it. `bound` holds the macros' variables in scope.
fn shape(e: &cel::IdedExpr, bound: &mut Vec<String>) -> Result<Shape, String> {
    use cel::common::ast::{EntryExpr, Expr, LiteralValue, operators};
    match &e.expr {
        Expr::Unspecified | Expr::Literal(_) => Ok(Shape::Unknown),
        // A macro's variable (`@result` is the crate's own accumulator).
        Expr::Ident(n) if bound.contains(n) || n.starts_with('@') => Ok(Shape::Unknown),
        Expr::Ident(n) if n == "account" => Ok(Shape::Object("account", ACCOUNT_FIELDS)),
        Expr::Ident(n) if n == "customer" => Ok(Shape::Object("customer", CUSTOMER_FIELDS)),
        Expr::Ident(n) if TYPE_NAMES.contains(&n.as_str()) => Ok(Shape::Unknown),
        Expr::Ident(n) => Err(format!(
            "`{n}` is not a variable: a condition reads `account` and `customer`"
        )),
        Expr::Select(s) => {
            let operand = shape(&s.operand, bound)?;
            select(operand, &s.field, &path(&s.operand))
        }
        Expr::Call(c) => {
            let target = c.target.as_deref().map(|t| shape(t, bound)).transpose()?;
            let mut args = Vec::with_capacity(c.args.len());
            for a in &c.args {
                args.push(shape(a, bound)?);
            }
            // `account['offering']` names a field as `account.offering` does.
            if matches!(
                c.func_name.as_str(),
                operators::INDEX | operators::OPT_INDEX
            ) && target.is_none()
                && let [operand, key] = c.args.as_slice()
                && let Expr::Literal(LiteralValue::String(k)) = &key.expr
            {
                return select(args[0], k.inner(), &path(operand));
            }
            Ok(Shape::Unknown)
        }
        Expr::Comprehension(c) => {
            shape(&c.iter_range, bound)?;
            shape(&c.accu_init, bound)?;
            let before = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            let inner = [&c.loop_cond, &c.loop_step, &c.result]
                .into_iter()
                .try_for_each(|x| shape(x, bound).map(|_| ()));
            bound.truncate(before);
            inner.map(|()| Shape::Unknown)
        }
        Expr::List(l) => {
            for x in &l.elements {
                shape(x, bound)?;
            }
            Ok(Shape::List)
        }
        Expr::Map(m) => {
            for x in &m.entries {
                if let EntryExpr::MapEntry(x) = &x.expr {
                    shape(&x.key, bound)?;
                    shape(&x.value, bound)?;
                }
            }
            Ok(Shape::Unknown)
        }
        Expr::Struct(s) => {
            for x in &s.entries {
                if let EntryExpr::StructField(x) = &x.expr {
                    shape(&x.value, bound)?;
                }
            }
            Ok(Shape::Unknown)
        }
    }
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
