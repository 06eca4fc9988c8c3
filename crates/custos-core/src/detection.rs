//! Red flags at sign-up: rules a compliance officer owns, as data in the CIP policy's
//! `[detection]` section (the shipped set is `policy/detection.toml`).
//!
//! Each rule is a CEL expression (the crate the special measures use) over the facts of a
//! sign-up or an account ([`Facts`]), with an id, a score and a reason code. The scores of the
//! rules that fire are summed, and the sum maps through the thresholds to an outcome:
//! `approve` below `review`, then `review`, `restrict` and `refuse` (Marble's model). Every
//! rule that fired is a reason, with the facts it read and their values.
//!
//! The facts hold classifications and counts only, never a value of the customer's: a
//! country, a line type, whether a domain is disposable, how many other customers share a
//! card (never the card). A rule naming a fact there is not (`ip.knd`) is refused when the
//! policy is loaded, naming the rule, as one that does not parse is: it could never fire.
//! A rule that cannot be evaluated over some facts (a resource the control plane has not
//! reported) does not fire, and says so.

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cel_check::Shape;
pub use crate::flags::{Cleared, CustomerDetection, Fired, Unevaluated};
use crate::measures::AccountFacts;

/// The shipped rule set, used when a policy has no `[detection]` section.
pub const DEFAULT_DETECTION_TOML: &str = include_str!("../../../policy/detection.toml");

/// What a sum of scores comes to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approve,
    Review,
    Restrict,
    Refuse,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Review => "review",
            Outcome::Restrict => "restrict",
            Outcome::Refuse => "refuse",
        }
    }
}

/// One rule, as the policy writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A stable id (`tor_exit`): letters, digits and `_`.
    pub id: String,
    /// The CEL expression over the facts: the rule fires when it is `true`.
    pub when: String,
    /// What firing adds to the sum (negative to lower it).
    pub score: i64,
    /// The reason code a decision names (`IP_TOR_EXIT`).
    pub reason: String,
    /// What the rule means, for the person reading a decision.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The sums at which each outcome starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub review: i64,
    pub restrict: i64,
    pub refuse: i64,
}

/// The `[detection]` section of the CIP policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionPolicy {
    pub thresholds: Thresholds,
    /// An identifier shared with more other customers than this (a corporate NAT, a popular VPN's
    /// exit) is reported as widely shared instead of linking them all; the counts in the facts
    /// stop there.
    pub share_cap: u32,
    /// Sign-ups sharing an identifier within this many hours make a burst.
    pub burst_hours: u32,
    /// Customers connecting from one address within this many hours are linked.
    pub ip_link_hours: u32,
    /// An abuse report is traced to the accounts that used its address this many minutes
    /// either side of its time.
    #[serde(default = "trace_minutes")]
    pub trace_minutes: u32,
    /// An abuse case's first action is due this many hours after it opens.
    #[serde(default = "case_hours")]
    pub case_hours: u32,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

fn trace_minutes() -> u32 {
    60
}

fn case_hours() -> u32 {
    24
}

impl Default for DetectionPolicy {
    fn default() -> Self {
        #[derive(Deserialize)]
        struct Doc {
            detection: DetectionPolicy,
        }
        toml::from_str::<Doc>(DEFAULT_DETECTION_TOML)
            .expect("the shipped detection rules parse")
            .detection
    }
}

/// The facts of a sign-up or an account that rules read. Every part is present: an absent
/// identifier is `present: false` with empty fields, so that a rule reads `card.prepaid`
/// without asking first whether there is a card.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts<'a> {
    pub email: EmailFacts,
    pub phone: PhoneFacts,
    pub card: CardFacts,
    pub iban: IbanFacts,
    pub ip: IpFacts,
    pub customer: PersonFacts,
    pub countries: CountryFacts,
    /// How many other customers share each identifier (up to the share cap).
    pub shared: Counts,
    /// Whether any customer sharing each identifier was closed for abuse.
    pub abused: Flags,
    /// How many other sign-ups within the burst window share each identifier.
    pub burst: Counts,
    /// The account being opened, when there is one (a sign-up without one reads an empty
    /// account: `account.kind == ''`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountFacts<'a>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EmailFacts {
    pub present: bool,
    /// The domain is a throwaway (disposable) one.
    pub disposable: bool,
    /// The domain, IDNA-encoded (a domain is the provider's, not personal).
    pub domain: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PhoneFacts {
    pub present: bool,
    /// `mobile`, `fixed`, `fixed_or_mobile`, `voip`, `toll_free`, `premium`, `shared_cost`,
    /// `personal`, `pager`, `uan`, `voicemail` or `unknown`.
    pub line_type: String,
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CardFacts {
    pub present: bool,
    pub brand: String,
    /// `credit`, `debit`, `prepaid` or `unknown` (from the BIN ranges).
    pub funding: String,
    pub prepaid: bool,
    /// The issuing country, from the BIN ranges (empty when unknown).
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IbanFacts {
    pub present: bool,
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IpFacts {
    pub present: bool,
    pub country: String,
    /// `tor`, `vpn`, `proxy`, `hosting`, `cdn`, `bot`, `residential`, `mobile` or `unknown`,
    /// from the IP ranges.
    pub kind: String,
    /// Every label the IP ranges give the address.
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PersonFacts {
    pub entity: bool,
    pub us_person: bool,
    pub nationalities: Vec<String>,
    /// The countries of the customer's addresses.
    pub address_countries: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CountryFacts {
    /// How many different countries the first address, the card, the phone, the IBAN and the
    /// connection come from (those known).
    pub distinct: i64,
    /// Those countries, sorted.
    pub all: Vec<String>,
}

/// A value per kind of identifier, named as the rules read them (`shared.card`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PerKind<T> {
    pub email: T,
    pub phone: T,
    pub document: T,
    pub card: T,
    pub iban: T,
    pub wallet: T,
    pub ip: T,
}

impl<T> PerKind<T> {
    /// The value of a kind of indexed value (`email`, `phone`, `national_id`,
    /// `card_fingerprint`, `iban`, `wallet`) or of `ip`; `None` for another.
    pub fn slot(&mut self, kind: &str) -> Option<&mut T> {
        Some(match kind {
            "email" => &mut self.email,
            "phone" => &mut self.phone,
            "national_id" => &mut self.document,
            "card_fingerprint" => &mut self.card,
            "iban" => &mut self.iban,
            "wallet" => &mut self.wallet,
            "ip" => &mut self.ip,
            _ => return None,
        })
    }
}

/// A count per kind of identifier.
pub type Counts = PerKind<i64>;

/// A flag per kind of identifier.
pub type Flags = PerKind<bool>;

impl CountryFacts {
    /// The distinct countries of those given (empty ones skipped).
    pub fn of<'a>(countries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut all: Vec<String> = countries
            .into_iter()
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        all.sort();
        all.dedup();
        CountryFacts {
            distinct: all.len() as i64,
            all,
        }
    }
}

const EMAIL: &[(&str, Shape)] = &[
    ("present", Shape::Value),
    ("disposable", Shape::Value),
    ("domain", Shape::Value),
];
const PHONE: &[(&str, Shape)] = &[
    ("present", Shape::Value),
    ("line_type", Shape::Value),
    ("country", Shape::Value),
];
const CARD: &[(&str, Shape)] = &[
    ("present", Shape::Value),
    ("brand", Shape::Value),
    ("funding", Shape::Value),
    ("prepaid", Shape::Value),
    ("country", Shape::Value),
];
const IBAN: &[(&str, Shape)] = &[("present", Shape::Value), ("country", Shape::Value)];
const IP: &[(&str, Shape)] = &[
    ("present", Shape::Value),
    ("country", Shape::Value),
    ("kind", Shape::Value),
    ("labels", Shape::List),
];
const CUSTOMER: &[(&str, Shape)] = &[
    ("entity", Shape::Value),
    ("us_person", Shape::Value),
    ("nationalities", Shape::List),
    ("address_countries", Shape::List),
];
const COUNTRIES: &[(&str, Shape)] = &[("distinct", Shape::Value), ("all", Shape::List)];
const PER_KIND: &[(&str, Shape)] = &[
    ("email", Shape::Value),
    ("phone", Shape::Value),
    ("document", Shape::Value),
    ("card", Shape::Value),
    ("iban", Shape::Value),
    ("wallet", Shape::Value),
    ("ip", Shape::Value),
];

/// The variables a rule reads, and their fields.
const ROOTS: &[(&str, Shape)] = &[
    ("email", Shape::Object("email", EMAIL)),
    ("phone", Shape::Object("phone", PHONE)),
    ("card", Shape::Object("card", CARD)),
    ("iban", Shape::Object("iban", IBAN)),
    ("ip", Shape::Object("ip", IP)),
    ("customer", Shape::Object("customer", CUSTOMER)),
    ("countries", Shape::Object("countries", COUNTRIES)),
    ("shared", Shape::Object("shared", PER_KIND)),
    ("abused", Shape::Object("abused", PER_KIND)),
    ("burst", Shape::Object("burst", PER_KIND)),
    (
        "account",
        Shape::Object("account", crate::measures::ACCOUNT_FIELDS),
    ),
];

const READS: &str = "a rule reads `email`, `phone`, `card`, `iban`, `ip`, `customer`, \
                     `countries`, `shared`, `abused`, `burst` and `account`";

/// The facts whose values are a customer's personal data: a customer's detection keeps them
/// out of its clear summary ([`CustomerDetection::signals`]), so a rule on the account (which
/// is evaluated from that summary whenever the account is decided) may not read them.
pub const PERSONAL_FACTS: &[&str] = &[
    "email.domain",
    "phone.country",
    "card.country",
    "iban.country",
    "ip.country",
    "customer.nationalities",
    "customer.address_countries",
    "countries.all",
];

/// Whether reading `path` (`ip`, `ip.country`) reads a personal fact.
fn reads_personal(path: &str) -> bool {
    PERSONAL_FACTS
        .iter()
        .any(|p| *p == path || (p.starts_with(path) && p.as_bytes().get(path.len()) == Some(&b'.')))
}

/// A rule compiled, with the facts it reads.
struct Compiled {
    rule: Rule,
    program: cel::Program,
    reads: Vec<String>,
    /// It reads the account: it is evaluated whenever an account is decided, over the
    /// customer's signals; the others, when the customer's records change.
    on_account: bool,
}

/// A rule set ready to evaluate: every rule compiled and checked once.
pub struct Detector {
    thresholds: Thresholds,
    rules: Vec<Compiled>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// What the rules made of a sign-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    pub outcome: Outcome,
    pub score: i64,
    pub fired: Vec<Fired>,
    /// Rules that could not be evaluated over these facts, with why: they did not fire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<Unevaluated>,
    /// A reviewer cleared red flags summing to this much or more: they do not hold the
    /// account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleared: bool,
}

impl DetectionPolicy {
    /// Checks the section: ordered thresholds, unique ids, every rule parsing and naming only
    /// facts there are. The message names the rule.
    pub fn check(&self) -> Result<Detector, String> {
        let t = &self.thresholds;
        if !(t.review <= t.restrict && t.restrict <= t.refuse) {
            return Err(format!(
                "detection.thresholds must rise: review ({}) <= restrict ({}) <= refuse ({})",
                t.review, t.restrict, t.refuse
            ));
        }
        if self.share_cap < 2 {
            return Err("detection.share_cap must be at least 2".into());
        }
        let mut rules = Vec::with_capacity(self.rules.len());
        for r in &self.rules {
            let named = format!("detection rule `{}`", r.id);
            if r.id.is_empty() || !r.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "{named}: an id is letters, digits and `_`, and not empty"
                ));
            }
            if rules.iter().any(|c: &Compiled| c.rule.id == r.id) {
                return Err(format!("{named} is there twice: ids are unique"));
            }
            if r.reason.trim().is_empty() {
                return Err(format!("{named} has no reason code"));
            }
            let (program, reads) = crate::cel_check::check(&r.when, ROOTS, READS)
                .map_err(|why| format!("{named}: {why}"))?;
            let on_account = reads
                .iter()
                .any(|p| p == "account" || p.starts_with("account."));
            if on_account && let Some(p) = reads.iter().find(|p| reads_personal(p)) {
                return Err(format!(
                    "{named} reads the account and `{p}`: a rule on the account is evaluated \
                     from the clear summary whenever the account is decided, which keeps no \
                     personal fact ({}); split it into a rule on the customer and one on the \
                     account",
                    PERSONAL_FACTS.join(", ")
                ));
            }
            rules.push(Compiled {
                rule: r.clone(),
                program,
                reads,
                on_account,
            });
        }
        Ok(Detector {
            thresholds: t.clone(),
            rules,
        })
    }
}

/// The variables rules read, as JSON: the facts, with an empty account when there is none
/// yet (a sign-up), so that rules on it read nothing.
pub fn variables(facts: &Facts<'_>) -> serde_json::Value {
    let mut json = serde_json::to_value(facts).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut json {
        m.entry("account").or_insert_with(|| {
            serde_json::json!({"id": "", "kind": "", "offering": "", "depth": 0,
                "resources": {}, "monitoring": "", "tags": []})
        });
    }
    json
}

/// The value at `path` (`ip.kind`) of `v`.
fn at<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

impl Detector {
    /// A detector with no rules: nothing ever fires.
    pub fn none() -> Detector {
        Detector {
            thresholds: Thresholds {
                review: i64::MAX,
                restrict: i64::MAX,
                refuse: i64::MAX,
            },
            rules: vec![],
        }
    }

    /// The rules' ids and expressions, in order.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules
            .iter()
            .map(|c| (c.rule.id.as_str(), c.rule.when.as_str()))
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The outcome a sum of scores comes to.
    pub fn outcome(&self, score: i64) -> Outcome {
        let t = &self.thresholds;
        if score >= t.refuse {
            Outcome::Refuse
        } else if score >= t.restrict {
            Outcome::Restrict
        } else if score >= t.review {
            Outcome::Review
        } else {
            Outcome::Approve
        }
    }

    /// Every rule over `facts`: what fired, the sum and its outcome.
    pub fn evaluate(&self, facts: &Facts<'_>) -> Verdict {
        let json = variables(facts);
        let (score, fired, unevaluated) = self.run(&json, |_| true);
        Verdict {
            outcome: self.outcome(score),
            score,
            fired,
            unevaluated,
            cleared: false,
        }
    }

    /// The rules on the customer (those that read no account) over `facts`, kept with the
    /// customer's clear summary: what fired (personal values left out) and the signals the
    /// rules on the account read later.
    pub fn customer(&self, facts: &Facts<'_>, at: DateTime<Utc>) -> CustomerDetection {
        let json = variables(facts);
        let (score, mut fired, unevaluated) = self.run(&json, |c| !c.on_account);
        for f in &mut fired {
            for (path, v) in f.facts.iter_mut() {
                if reads_personal(path) {
                    *v = serde_json::Value::String(WITHHELD.into());
                }
            }
        }
        CustomerDetection {
            at,
            score,
            fired,
            unevaluated,
            signals: signals(json),
            cleared: None,
        }
    }

    /// What the rules make of an account of a customer: the customer's rules as they fired
    /// when its records last changed, and the rules on the account over its signals.
    pub fn account(&self, d: &CustomerDetection, account: &AccountFacts<'_>) -> Verdict {
        let (mut score, mut fired, mut unevaluated) =
            (d.score, d.fired.clone(), d.unevaluated.clone());
        if self.rules.iter().any(|c| c.on_account) {
            // The signals the rules on the account read, and the account.
            let mut m = serde_json::Map::new();
            if let serde_json::Value::Object(sig) = &d.signals {
                for (k, v) in sig {
                    if self.rules.iter().any(|c| c.on_account && c.reads_root(k)) {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
            m.insert(
                "account".into(),
                serde_json::to_value(account).unwrap_or_default(),
            );
            let json = serde_json::Value::Object(m);
            let (s, f, u) = self.run(&json, |c| c.on_account);
            score = score.saturating_add(s);
            fired.extend(f);
            unevaluated.extend(u);
        }
        let cleared = d.cleared.as_ref().is_some_and(|c| {
            score <= c.score
                && fired
                    .iter()
                    .all(|f| c.rules.is_empty() || c.rules.contains(&f.rule))
        });
        Verdict {
            outcome: self.outcome(score),
            score,
            fired,
            unevaluated,
            cleared,
        }
    }

    /// The rules `which` picks over the variables `json`: the sum, what fired, what could not
    /// be evaluated.
    fn run(
        &self,
        json: &serde_json::Value,
        which: impl Fn(&Compiled) -> bool,
    ) -> (i64, Vec<Fired>, Vec<Unevaluated>) {
        let rules: Vec<&Compiled> = self.rules.iter().filter(|c| which(c)).collect();
        let mut ctx = cel::Context::default();
        if let serde_json::Value::Object(m) = &json {
            // Only the variables the rules read are made CEL values: on the account's path
            // (every decision) that is the account alone for the shipped rules.
            for (k, v) in m
                .iter()
                .filter(|(k, _)| rules.iter().any(|c| c.reads_root(k)))
            {
                if let Ok(v) = cel::to_value(v) {
                    ctx.add_variable_from_value(k.as_str(), v);
                }
            }
        }
        let (mut score, mut fired, mut unevaluated) = (0i64, vec![], vec![]);
        for c in rules {
            match c.program.execute(&ctx) {
                Ok(cel::Value::Bool(true)) => {
                    score = score.saturating_add(c.rule.score);
                    fired.push(Fired {
                        rule: c.rule.id.clone(),
                        reason: c.rule.reason.clone(),
                        score: c.rule.score,
                        description: c.rule.description.clone(),
                        facts: c
                            .reads
                            .iter()
                            .map(|p| {
                                (
                                    p.clone(),
                                    at(json, p).cloned().unwrap_or(serde_json::Value::Null),
                                )
                            })
                            .collect(),
                    });
                }
                Ok(cel::Value::Bool(false)) => {}
                Ok(other) => unevaluated.push(Unevaluated {
                    rule: c.rule.id.clone(),
                    why: format!("evaluates to {:?}, not a boolean", other.type_of()),
                }),
                // CEL's messages quote the values they met (a country, a domain): the reason
                // names the kind of failure only.
                Err(e) => unevaluated.push(Unevaluated {
                    rule: c.rule.id.clone(),
                    why: format!(
                        "could not be evaluated over these facts ({})",
                        match e {
                            cel::ExecutionError::NoSuchKey(_) => "a key that is not there",
                            cel::ExecutionError::UndeclaredReference(_) =>
                                "a name that is not there",
                            cel::ExecutionError::UnsupportedBinaryOperator(..)
                            | cel::ExecutionError::ValuesNotComparable(..) =>
                                "values of types that do not combine",
                            _ => "an error",
                        }
                    ),
                }),
            }
        }
        (score, fired, unevaluated)
    }
}

impl Compiled {
    /// Whether the rule reads the variable `root` (or a field of it).
    fn reads_root(&self, root: &str) -> bool {
        self.reads.iter().any(|p| {
            p == root || (p.starts_with(root) && p.as_bytes().get(root.len()) == Some(&b'.'))
        })
    }
}

/// What a fired rule's personal fact shows outside the customer's record.
pub const WITHHELD: &str = "(withheld: in the customer's record)";

/// The variables without personal values (emptied, so that a rule reading one reads nothing)
/// and without the account.
fn signals(mut json: serde_json::Value) -> serde_json::Value {
    for p in PERSONAL_FACTS {
        let ptr = format!("/{}", p.replace('.', "/"));
        if let Some(v) = json.pointer_mut(&ptr) {
            *v = match v {
                serde_json::Value::Array(_) => serde_json::Value::Array(vec![]),
                _ => serde_json::Value::String(String::new()),
            };
        }
    }
    if let serde_json::Value::Object(m) = &mut json {
        m.remove("account");
    }
    json
}

mod facts;
pub use facts::Classify;

#[cfg(test)]
mod tests;
