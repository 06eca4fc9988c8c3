//! What a package says in words: a customer's record as the instrument's categories reach
//! it, one readable HTML document of the records, and the declaration of authenticity.

use std::collections::BTreeMap;

use custos_core::legal::Category;
use custos_core::{Account, AccountId, Customer};
use serde_json::{Map, Value, json};

use super::package::Contents;

/// The keys of a customer record that belong to each category. Whatever is not named here
/// belongs to `verification` (the identity facts: birth date, citizenship, numbers).
const SUBSCRIBER_PROFILE: [&str; 7] = [
    "full_name",
    "given_names",
    "family_name",
    "residence",
    "legal_name",
    "jurisdiction",
    "addresses",
];

/// A customer's record as the categories reach it.
pub fn record_of(
    c: &Customer,
    accounts: &[Account],
    children: &BTreeMap<AccountId, Vec<AccountId>>,
    categories: &[Category],
) -> Value {
    let has = |k: Category| categories.contains(&k);
    let mut out = Map::new();
    out.insert("customer_id".into(), json!(c.id));
    let profile = serde_json::to_value(&c.profile).unwrap_or(Value::Null);
    // `{"individual": {...}}` or `{"entity": {...}}`.
    let (kind, fields) = match profile {
        Value::Object(m) => m
            .into_iter()
            .next()
            .map(|(k, v)| (k, v.as_object().cloned().unwrap_or_default()))
            .unwrap_or_default(),
        _ => Default::default(),
    };
    let (subscriber, identity): (Map<String, Value>, Map<String, Value>) = fields
        .into_iter()
        .partition(|(k, _)| SUBSCRIBER_PROFILE.contains(&k.as_str()));
    if has(Category::Subscriber) {
        out.insert(
            "subscriber".into(),
            json!({
                "kind": kind,
                "created_at": c.created_at,
                "external_ref": c.external_ref,
                "profile": subscriber,
                "contacts": c.contacts,
                "former_addresses": c.address_history,
            }),
        );
    }
    if has(Category::Service) {
        let service: Vec<Value> = accounts
            .iter()
            .map(|a| {
                json!({
                    "account_id": a.id,
                    "kind": a.kind,
                    "offering": a.offering,
                    "parent_id": a.parent_id,
                    "opened_at": a.opened_at,
                    "closed_at": a.closed_at,
                    "close_reason": a.close_reason,
                    "last_access_at": a.last_access_at,
                })
            })
            .collect();
        out.insert("service".into(), Value::Array(service));
    }
    if has(Category::Payment) {
        out.insert("payment".into(), json!(c.payment_means));
    }
    if has(Category::Sessions) {
        out.insert("locations_observed".into(), json!(c.observations));
    }
    if has(Category::Verification) {
        let subjects: Vec<Value> = c
            .subjects
            .iter()
            .map(|s| {
                json!({
                    "subject_id": s.id,
                    "role": s.role,
                    "added_at": s.added_at,
                    "removed_at": s.removed_at,
                    "triage": s.triage,
                    "verification": s.verification,
                })
            })
            .collect();
        out.insert(
            "verification".into(),
            json!({
                "identity": identity,
                "subjects": subjects,
                "resubmissions": c.resubmission_log,
            }),
        );
    }
    if has(Category::Documents) {
        out.insert("documents".into(), json!(c.documents));
    }
    if has(Category::Decisions) {
        let decisions: Vec<Value> = accounts
            .iter()
            .map(|a| {
                json!({
                    "account_id": a.id,
                    "decision": a.decision,
                    "pending_since": a.pending_since,
                    "pending_history": a.pending_history,
                })
            })
            .collect();
        out.insert("decisions".into(), Value::Array(decisions));
    }
    if has(Category::Screening) {
        out.insert("screening".into(), json!(c.screening));
    }
    if has(Category::Resellers) {
        let resellers: Vec<Value> = accounts
            .iter()
            .filter(|a| a.parent_id.is_some() || children.contains_key(&a.id))
            .map(|a| {
                json!({
                    "account_id": a.id,
                    "kind": a.kind,
                    "under_reseller_account": a.parent_id,
                    "sub_lessee_accounts": children.get(&a.id).cloned().unwrap_or_default(),
                })
            })
            .collect();
        out.insert("resellers".into(), Value::Array(resellers));
    }
    if has(Category::BeneficialOwners) {
        let owners: Vec<Value> = c
            .subjects
            .iter()
            .filter_map(|s| {
                s.owner.as_ref().map(|o| {
                    json!({
                        "subject_id": s.id,
                        "owner": o,
                        "added_at": s.added_at,
                        "removed_at": s.removed_at,
                    })
                })
            })
            .collect();
        out.insert("beneficial_owners".into(), Value::Array(owners));
    }
    Value::Object(out)
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    crate::report::escape(s)
}

/// A JSON value as readable HTML: objects as definition lists, arrays as numbered lists.
fn html_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<span class=\"none\">none</span>"),
        Value::Object(m) if m.is_empty() => out.push_str("<span class=\"none\">none</span>"),
        Value::Array(a) if a.is_empty() => out.push_str("<span class=\"none\">none</span>"),
        Value::Object(m) => {
            out.push_str("<dl>");
            for (k, v) in m {
                out.push_str(&format!("<dt>{}</dt><dd>", esc(&k.replace('_', " "))));
                html_value(v, out);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
        Value::Array(a) => {
            out.push_str("<ol>");
            for v in a {
                out.push_str("<li>");
                html_value(v, out);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
        Value::String(s) => out.push_str(&esc(s)),
        other => out.push_str(&esc(&other.to_string())),
    }
}

const STYLE: &str = "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;\
line-height:1.4}dl{margin:0 0 0 1em}dt{font-weight:bold}dd{margin:0 0 .4em 1.5em}\
.none{color:#666}h2{border-top:1px solid #999;padding-top:.5em}</style>";

pub(super) fn records_html(c: &Contents) -> String {
    let r = &c.request.request;
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Records produced \
         for {agency} {case}</title>{STYLE}</head><body>\n<h1>Records produced for {agency}, case \
         {case}</h1>\n<p>Under {instrument}; request {id}; produced {at} by {provider}. Categories: \
         {cats}.</p>\n",
        agency = esc(&r.agency),
        case = esc(&r.case_number),
        instrument = esc(r.instrument.title()),
        id = esc(&r.id),
        at = esc(&c.produced_at.to_rfc3339()),
        provider = esc(&c.provider_name),
        cats = r
            .categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    for s in &c.subscribers {
        out.push_str(&format!(
            "<h2>Customer {}</h2>\n",
            esc(s.customer_id.as_str())
        ));
        match &s.record {
            Some(v) => html_value(v, &mut out),
            None => out.push_str(&format!(
                "<p>{}.</p>",
                esc(&destroyed_text(s.destroyed_at, r.received_at))
            )),
        }
        out.push('\n');
    }
    out.push_str("</body></html>\n");
    out
}

/// The declaration's lines (level 2: title, 1: heading, 0: text).
pub(super) fn declaration_lines(c: &Contents, digest: &str) -> Vec<(u8, String)> {
    let r = &c.request.request;
    let provider = &c.provider_name;
    let blank = "________________________________";
    let mut l = vec![
        (
            2,
            "Certificate of authenticity of business records".to_owned(),
        ),
        (
            0,
            "Pursuant to 28 U.S.C. § 1746 and Federal Rules of Evidence 902(11), 902(13) and \
             902(14)"
                .to_owned(),
        ),
        (1, "The request".to_owned()),
        (0, format!("Requesting agency: {}", r.agency)),
        (0, format!("Case number: {}", r.case_number)),
        (0, format!("Legal process: {}", r.instrument.title())),
    ];
    if let Some(court) = &r.court {
        l.push((0, format!("Issuing court: {court}")));
    }
    l.push((0, format!("Served: {}", r.served_at.format("%-d %B %Y"))));
    l.push((0, format!("Provider's reference: {}", r.id)));
    l.push((1, "Declaration".to_owned()));
    l.push((
        0,
        format!(
            "I, {blank}, declare that I am employed by {provider}{} as {blank}, that I am a \
             custodian of its records or am otherwise qualified by my familiarity with how the \
             records described below are made and kept, and that:",
            c.provider_address
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default()
        ),
    ));
    l.push((
        0,
        format!(
            "1. The records in the package identified below are true duplicates of records of \
             {provider}. They were made at or near the time of the acts and events they record, \
             by, or from information transmitted by, a person with knowledge of those matters; \
             they were kept in the course of {provider}'s regularly conducted activity; and \
             making them was a regular practice of that activity (Federal Rule of Evidence \
             803(6)(A)-(C))."
        ),
    ));
    l.push((
        0,
        "2. How they are made and kept. Customer records (identity, addresses, contacts, \
         payment means, verification, decisions) are recorded by the provider's systems when \
         the customer signs up and whenever they change, and are kept encrypted. Access and \
         administrative events (the time, the IP address and port, the action) are reported by \
         the provider's systems as they happen and appended to a tamper-evident log: a Merkle \
         tree (RFC 6962) whose size and root are signed by the provider's key in checkpoints. \
         The log rewrites nothing."
            .to_owned(),
    ));
    let mut authenticity = "3. The records were copied from these systems by a process that \
                            produces an accurate result (Rule 902(13)) and are identified by \
                            their SHA-256 digests (Rule 902(14)): every file of the package is \
                            listed with its digest in manifest-sha256.txt, and the digest of \
                            the records' manifest (every line of it but the two of this \
                            declaration) is:"
        .to_owned();
    authenticity.push(' ');
    authenticity.push_str(digest);
    authenticity.push('.');
    l.push((0, authenticity));
    if let Some(a) = &c.access {
        let root = String::from_utf8_lossy(&a.checkpoint)
            .lines()
            .nth(2)
            .unwrap_or_default()
            .to_owned();
        l.push((
            0,
            format!(
                "4. Each access event in the package carries a proof that it is entry N of the \
                 log at the signed checkpoint of {} entries (root hash {root}), which the \
                 verifier key in data/access/ledger.vkey verifies; data/access/ENCODING.md says \
                 how anyone can check them.",
                a.checkpoint_size
            ),
        ));
    }
    l.push((1, DECLARE.to_owned()));
    l.push((0, format!("Custodian's name: {blank}")));
    l.push((0, format!("Title: {blank}")));
    l.push((0, format!("Signature: {blank}")));
    l.push((0, format!("Executed on (date): {blank}")));
    l
}

pub(super) const DECLARE: &str = "I declare under penalty of perjury under the laws of the United States of \
                       America that the foregoing is true and correct.";

pub(super) fn declaration_html(lines: &[(u8, String)]) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Certificate of \
         authenticity of business records</title>{STYLE}</head><body>\n"
    );
    for (level, text) in lines {
        let tag = match level {
            2 => "h1",
            1 => "h2",
            _ => "p",
        };
        out.push_str(&format!("<{tag}>{}</{tag}>\n", esc(text)));
    }
    out.push_str("</body></html>\n");
    out
}

/// What a package says of a customer whose records retention destroyed: when, and whether
/// before or after the request was received.
pub(super) fn destroyed_text(
    at: Option<chrono::DateTime<chrono::Utc>>,
    received: chrono::DateTime<chrono::Utc>,
) -> String {
    match at {
        Some(t) => format!(
            "This customer's records were destroyed under the retention policy on {} ({} the \
             request was received on {}): none are kept",
            t.date_naive(),
            if t < received { "before" } else { "after" },
            received.date_naive()
        ),
        None => "This customer's records were destroyed under the retention policy: none are kept"
            .into(),
    }
}
