//! What every page shares: the frame (title, navigation, the person, notices), the helpers
//! that turn records into text, and failures as pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use custos_app::keys::Permission;
use custos_app::users::Session;
use serde::Serialize;

/// The signed-in person, as the frame shows it.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub email: String,
    pub role: String,
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A message above the page: `error`, `done` or `info`.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub text: String,
    /// The form a refusal answers (a name of the page's choosing), and what was typed in it,
    /// so that the form shows it again rather than empty.
    form: &'static str,
    typed: Vec<(String, String)>,
}

/// Fields never shown again: the CSRF token, and secrets.
const NOT_KEPT: [&str; 4] = ["csrf", "password", "code", "new_password"];

impl Notice {
    pub fn error(text: impl Into<String>) -> Self {
        Notice {
            kind: "error",
            text: text.into(),
            form: "",
            typed: vec![],
        }
    }
    pub fn done(text: impl Into<String>) -> Self {
        Notice {
            kind: "done",
            text: text.into(),
            form: "",
            typed: vec![],
        }
    }

    /// A form refused: the reason, and what was typed in `form` (its body), to fill it again.
    pub fn refused(text: impl Into<String>, form: &'static str, body: &[u8]) -> Self {
        let typed = crate::session::fields(body)
            .into_iter()
            .filter(|(k, _)| !NOT_KEPT.contains(&k.as_str()))
            .collect();
        Notice {
            kind: "error",
            text: text.into(),
            form,
            typed,
        }
    }
}

/// What the base template needs.
#[derive(Debug, Clone)]
pub struct Frame {
    pub title: String,
    pub person: Option<PersonView>,
    pub nav: Vec<Nav>,
    pub notices: Vec<Notice>,
    /// The CSRF token forms carry (empty without a session).
    pub csrf: String,
}

/// The main navigation: each page, and what a role needs to see it there.
const NAV: [(&str, &str, Permission); 14] = [
    ("/console/", "Home", Permission::ReadDecisions),
    (
        "/console/queues/accounts",
        "Accounts queue",
        Permission::ReadDecisions,
    ),
    (
        "/console/queues/cases",
        "Screening cases",
        Permission::ReadDecisions,
    ),
    ("/console/approvals", "Approvals", Permission::Review),
    (
        "/console/designations",
        "Designations",
        Permission::ReadDecisions,
    ),
    (
        "/console/compliance",
        "Compliance",
        Permission::ReadCompliance,
    ),
    (
        "/console/resellers",
        "Resellers",
        Permission::ReadCompliance,
    ),
    ("/console/abuse", "Abuse", Permission::ReadCases),
    ("/console/legal", "Legal", Permission::LegalHold),
    ("/console/lists", "Lists", Permission::ReadDecisions),
    ("/console/reference", "Reference", Permission::ReadCases),
    ("/console/sharing", "Sharing", Permission::ReadCompliance),
    (
        "/console/incidents",
        "Incidents",
        Permission::ReadCompliance,
    ),
    ("/console/audit", "Audit trail", Permission::ReadAudit),
];

impl Frame {
    pub fn new(title: impl Into<String>, s: &Session, here: &str) -> Self {
        Frame {
            title: title.into(),
            person: Some(PersonView {
                email: s.user.email.clone(),
                role: s.user.role.as_str().to_owned(),
                csrf: s.csrf.clone(),
            }),
            nav: NAV
                .iter()
                .filter(|(_, _, need)| s.caller.require(*need).is_ok())
                .map(|(href, label, _)| Nav {
                    href,
                    label,
                    current: *href == here,
                })
                .collect(),
            notices: vec![],
            csrf: s.csrf.clone(),
        }
    }

    /// The frame of a page seen without a session (the sign-in, a failure).
    pub fn anonymous(title: impl Into<String>) -> Self {
        Frame {
            title: title.into(),
            person: None,
            nav: vec![],
            notices: vec![],
            csrf: String::new(),
        }
    }

    pub fn with(mut self, notices: impl IntoIterator<Item = Notice>) -> Self {
        self.notices.extend(notices);
        self
    }

    /// What was typed in field `name` of `form` before it was refused; empty otherwise.
    pub fn typed(&self, form: &str, name: &str) -> &str {
        self.notices
            .iter()
            .filter(|n| n.form == form)
            .flat_map(|n| n.typed.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// Whether `value` was chosen in field `name` of `form` before it was refused (a radio
    /// button or a check box to check again).
    pub fn chose(&self, form: &str, name: &str, value: &str) -> bool {
        self.notices
            .iter()
            .filter(|n| n.form == form)
            .flat_map(|n| n.typed.iter())
            .any(|(k, v)| k == name && v == value)
    }
}

/// The status of a page that shows these notices: 422 when one says what was wrong.
pub fn status_of(notices: &[Notice]) -> StatusCode {
    if notices.iter().any(|n| n.kind == "error") {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A page of a list, or (the query was wrong: a cursor, a filter) an empty one with what was
/// wrong said above it.
pub fn page_or_notice<T>(
    r: Result<custos_app::browse::Page<T>, custos_app::Error>,
    notices: &mut Vec<Notice>,
) -> Result<custos_app::browse::Page<T>, Failure> {
    match r {
        Ok(p) => Ok(p),
        Err(e @ custos_app::Error::Validation { .. }) => {
            notices.push(Notice::error(explain(&e).1));
            Ok(custos_app::browse::Page {
                data: vec![],
                has_more: false,
                next_cursor: None,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A word a form sent (a radio button's or a select's value) read as the enum it names, or
/// a validation error on `field` saying which words are allowed (`expected`).
pub fn word<T: serde::de::DeserializeOwned>(
    field: &str,
    value: &str,
    expected: &str,
) -> Result<T, custos_app::Error> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_owned()))
        .map_err(|_| custos_app::Error::invalid(field, expected.to_owned()))
}

/// A value's serde name (`snake_case` enums), as the API spells it.
pub fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A time to the minute, UTC.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn time_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "-".into())
}

/// The CSS class a state's tag takes.
pub fn tone(state: &str) -> &'static str {
    match state {
        "approve" | "active" | "verified" | "not_required" | "false_positive" | "cleared" => "ok",
        "refuse" | "closed" | "failed" | "confirmed" => "bad",
        _ => "warn",
    }
}

/// A JSON record flattened into (path, text) rows, in order: what a reviewer reads of a
/// record revealed with a purpose.
pub fn rows(v: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(path: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        use serde_json::Value as V;
        match v {
            V::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.replace('_', " ")
                    } else {
                        format!("{path} › {}", k.replace('_', " "))
                    };
                    walk(&p, x, out);
                }
            }
            V::Array(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    walk(&format!("{path} {}", i + 1), x, out);
                }
            }
            V::Null => {}
            V::String(s) => out.push((path.to_owned(), s.clone())),
            other => out.push((path.to_owned(), other.to_string())),
        }
    }
    let mut out = vec![];
    walk("", v, &mut out);
    out
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    f: Frame,
    heading: &'a str,
    text: &'a str,
}

/// A page that says one thing, with a status.
pub fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    page(
        status,
        Message {
            f: Frame::anonymous(heading),
            heading,
            text,
        },
    )
}

/// A rendered template as an answer.
pub fn page(status: StatusCode, t: impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a console page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// Why a console request failed, as a page.
#[derive(Debug)]
pub enum Failure {
    /// No session: to the sign-in, and back to `next` after.
    SignIn {
        next: String,
    },
    App(custos_app::Error),
}

impl From<custos_app::Error> for Failure {
    fn from(e: custos_app::Error) -> Self {
        Failure::App(e)
    }
}

/// What an application error tells a person, and with which status.
pub fn explain(e: &custos_app::Error) -> (StatusCode, String) {
    use custos_app::Error as E;
    if e.is_server_side() {
        tracing::error!(error = %e, "a console request failed");
    }
    match e {
        E::Malformed(d) => (StatusCode::BAD_REQUEST, d.clone()),
        E::TooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, d.clone()),
        E::Validation { field, detail } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            match field {
                Some(f) => format!("{}: {detail}", f.replace('_', " ")),
                None => detail.clone(),
            },
        ),
        E::Unauthenticated => (StatusCode::UNAUTHORIZED, "Please sign in again.".into()),
        E::RateLimited(d) => (StatusCode::TOO_MANY_REQUESTS, d.clone()),
        E::Forbidden(d) => (StatusCode::FORBIDDEN, format!("Not allowed: {d}.")),
        E::NotFound(_) => (StatusCode::NOT_FOUND, e.to_string()),
        E::Conflict(d) => (StatusCode::CONFLICT, d.clone()),
        E::Destroyed(_) => (StatusCode::GONE, e.to_string()),
        E::StoreUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database cannot be reached; nothing was changed. Try again shortly.".into(),
        ),
        E::LedgerUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The ledger cannot write now; nothing was changed. Try again shortly.".into(),
        ),
        E::Rendering(_) | E::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; nothing was changed.".into(),
        ),
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::SignIn { next } => Redirect::to(&format!(
                "/console/login?next={}",
                crate::session::encode(&next)
            ))
            .into_response(),
            Failure::App(custos_app::Error::Unauthenticated) => {
                Redirect::to("/console/login").into_response()
            }
            Failure::App(e) => {
                let (status, text) = explain(&e);
                let heading = match status {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::GONE => "Records destroyed",
                    s if s.is_server_error() => "Server error",
                    _ => "Cannot do this",
                };
                message(status, heading, &text)
            }
        }
    }
}
