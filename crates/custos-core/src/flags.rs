//! What the red-flag rules made of a customer, as its records keep it (the rules themselves
//! are in [`crate::detection`]). A leaf: the records hold these without importing the rules.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A rule that fired: its reason, and the facts it read with their values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Fired {
    pub rule: String,
    pub reason: String,
    pub score: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Each fact the rule read (`ip.kind`), with its value.
    #[schema(value_type = Object)]
    pub facts: BTreeMap<String, serde_json::Value>,
}

/// A rule that could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Unevaluated {
    pub rule: String,
    pub why: String,
}

/// What the rules made of a customer when its records last changed, kept with its clear
/// summary: the rules on the customer that fired (with the facts they read, personal values
/// withheld), and the signals (the facts without personal values) that rules on the account
/// read whenever one of its accounts is decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerDetection {
    pub at: DateTime<Utc>,
    pub score: i64,
    pub fired: Vec<Fired>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<Unevaluated>,
    #[schema(value_type = Object)]
    pub signals: serde_json::Value,
    /// A reviewer found the red flags harmless: they hold the customer's accounts again only
    /// when the sum rises above what was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<Cleared>,
}

/// A reviewer's clearing of a customer's red flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cleared {
    pub by: String,
    pub at: DateTime<Utc>,
    /// The sum cleared: a higher one holds the accounts again.
    pub score: i64,
    /// The rules that had fired: a rule firing that is not among them holds the accounts
    /// again, whatever the sum.
    #[serde(default)]
    pub rules: Vec<String>,
    pub reason: String,
}
