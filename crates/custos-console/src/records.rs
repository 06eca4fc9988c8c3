//! A record's page: a customer, an account, a screening case; and the decisions taken on it.
//! Personal data is shown only after the person states a purpose, in the answer to that form
//! (never cached), once the read is in the audit trail.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::browse::HoldQuery;
use custos_app::keys::Permission;
use custos_core::{AccountId, CustomerId, SubjectId};
use serde::Deserialize;

use crate::Console;
use crate::session::{Person, form};
use crate::view::{
    Failure, Frame, Notice, explain, name, page, rows, status_of, time, time_or_dash, tone,
};

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// What a finished action says on the page it leads back to.
fn done_notice(d: &Done) -> Option<Notice> {
    let text = match d.done.as_deref()? {
        "reviewed" => "The decision is recorded; the accounts were decided again.",
        "review_waiting" | "close_waiting" | "resolve_waiting" => {
            "Asked: it waits for a second, different person to approve it."
        }
        "resubmitted" => "The customer may try verification again.",
        "held" => "The legal hold is placed: nothing of this customer is destroyed while it holds.",
        "released" => "The legal hold is released.",
        "closed" => "The account is closed.",
        "resolved" => "The case is resolved; the accounts were decided again.",
        _ => return None,
    };
    Some(Notice::done(text))
}

fn customer_id(id: &str) -> Result<CustomerId, Failure> {
    CustomerId::parse(id)
        .map_err(|_| Failure::App(custos_app::Error::NotFound(format!("customer {id}"))))
}

fn account_id(id: &str) -> Result<AccountId, Failure> {
    AccountId::parse(id)
        .map_err(|_| Failure::App(custos_app::Error::NotFound(format!("account {id}"))))
}

pub(crate) fn allowed(p: &Person, perm: Permission) -> Result<(), Failure> {
    Ok(p.caller.require(perm)?)
}

#[derive(Debug)]
pub struct SubjectRow {
    pub id: String,
    pub role: String,
    pub us_person: String,
    pub basis: String,
    pub state: String,
    pub state_class: &'static str,
    pub missing: String,
}

#[derive(Debug)]
pub struct CustomerHead {
    pub id: String,
    pub kind: &'static str,
    pub external_ref: Option<String>,
    pub created: String,
    pub risk: String,
    pub state: String,
    pub state_class: &'static str,
    pub subjects: Vec<SubjectRow>,
}

#[derive(Debug)]
pub struct AccountLine {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub status_class: &'static str,
    pub decision: String,
    pub reasons: String,
}

#[derive(Debug)]
pub struct CaseLine {
    pub id: String,
    pub list: String,
    pub entity_id: String,
    pub measure: String,
    pub state: String,
    pub opened: String,
}

#[derive(Debug)]
pub struct HoldLine {
    pub id: String,
    pub reason: String,
    pub reference: String,
    pub placed: String,
    pub released: String,
    pub in_force: bool,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    f: Frame,
    c: CustomerHead,
    accounts: Vec<AccountLine>,
    cases: Vec<CaseLine>,
    holds: Option<Vec<HoldLine>>,
    can_review: bool,
    can_hold: bool,
    can_reveal: bool,
    revealed: Option<Vec<(String, String)>>,
    purpose: String,
    /// The customer's linked group (shown with the personal data), and what was not
    /// followed.
    links: Vec<crate::abuse::LinkLine>,
    link_notes: Vec<String>,
}

fn account_line(a: &custos_core::Account) -> AccountLine {
    let status = name(&a.status());
    AccountLine {
        id: a.id.as_str().to_owned(),
        kind: name(&a.kind),
        status_class: tone(&status),
        status,
        decision: name(&a.decision.decision),
        reasons: a
            .decision
            .reasons
            .iter()
            .map(|r| name(&r.code))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A customer's page, with these notices, and the personal data read for `revealed`'s
/// purpose when given.
async fn customer_page(
    st: &Console,
    p: &Person,
    id: &CustomerId,
    notices: Vec<Notice>,
    revealed: Option<(Vec<(String, String)>, String)>,
    (links, link_notes): (Vec<crate::abuse::LinkLine>, Vec<String>),
) -> Result<Response, Failure> {
    let app = &st.app;
    let (s, accounts) = app.customer_status(id).await?;
    let (risk, statuses) = custos_core::status::subjects(app.policy(), &s, &accounts);
    let state = name(&custos_core::status::customer_state(&statuses));
    let subjects = s
        .subjects
        .iter()
        .zip(&statuses)
        .map(|(sub, stt)| {
            let state = name(&stt.state);
            let mut missing: Vec<String> = stt.missing.iter().map(name).collect();
            if !stt.any_of.is_empty() {
                missing.push(format!(
                    "one of {}",
                    stt.any_of.iter().map(name).collect::<Vec<_>>().join(", ")
                ));
            }
            SubjectRow {
                id: sub.id.as_str().to_owned(),
                role: name(&sub.role),
                us_person: if sub.us_person { "yes" } else { "no" }.into(),
                basis: name(&sub.basis),
                state_class: tone(&state),
                state,
                missing: missing.join(", "),
            }
        })
        .collect();
    let holds = if p.caller.require(Permission::ReadCompliance).is_ok() {
        let q = HoldQuery {
            customer: Some(id.clone()),
            released: None,
        };
        let pg = app.list_holds(&q, None, 100).await?;
        Some(
            pg.data
                .into_iter()
                .map(|(_, h)| HoldLine {
                    in_force: h.in_force(app.now()),
                    id: h.id,
                    reason: h.reason,
                    reference: h.reference.unwrap_or_default(),
                    placed: format!("{} by {}", time(h.placed_at), h.placed_by),
                    released: match (h.released_at, h.released_by) {
                        (Some(t), Some(b)) => format!("{} by {b}", time(t)),
                        (Some(t), None) => time(t),
                        _ => "-".into(),
                    },
                })
                .collect(),
        )
    } else {
        None
    };
    let state_class = tone(&state);
    let head = CustomerHead {
        id: s.id.as_str().to_owned(),
        kind: if s.entity { "entity" } else { "individual" },
        external_ref: s.external_ref.clone(),
        created: time(s.created_at),
        risk: name(&risk),
        state,
        state_class,
        subjects,
    };
    let cases = s
        .screening
        .iter()
        .map(|k| CaseLine {
            id: k.id.clone(),
            list: k.list.clone(),
            entity_id: k.entity_id.clone(),
            measure: name(&k.measure),
            state: name(&k.state),
            opened: time(k.opened_at),
        })
        .collect();
    let status = status_of(&notices);
    let (revealed, purpose) = match revealed {
        Some((r, p)) => (Some(r), p),
        None => (None, String::new()),
    };
    Ok(page(
        status,
        CustomerPage {
            f: Frame::new(format!("Customer {}", s.id), p, "").with(notices),
            c: head,
            accounts: accounts.iter().map(account_line).collect(),
            cases,
            holds,
            can_review: p.caller.require(Permission::Review).is_ok(),
            can_hold: p.caller.require(Permission::LegalHold).is_ok(),
            can_reveal: p.caller.require(Permission::ReadPersonal).is_ok(),
            revealed,
            purpose,
            links,
            link_notes,
        },
    ))
}

pub async fn customer(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    customer_page(
        &st,
        &p,
        &id,
        done_notice(&d).into_iter().collect(),
        None,
        Default::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PurposeForm {
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) purpose: String,
}

/// Checks a stated purpose as the API's header is checked.
pub(crate) fn purpose_of(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("State a purpose: personal data is shown only for one.".into());
    }
    if t.chars().count() > 200 {
        return Err("The purpose must be at most 200 characters.".into());
    }
    if t.chars().any(char::is_control) {
        return Err("The purpose must be one line of printable text.".into());
    }
    Ok(t.to_owned())
}

pub async fn reveal_customer(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    let f: PurposeForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::ReadPersonal)?;
    let purpose = match purpose_of(&f.purpose) {
        Ok(x) => x,
        Err(e) => {
            let refused = Notice::refused(e, "reveal", &body);
            return customer_page(&st, &p, &id, vec![refused], None, Default::default()).await;
        }
    };
    let (c, _, _) = st.app.read_customer(&id, &p.actor(), &purpose).await?;
    let v = serde_json::to_value(&c)
        .map_err(|e| Failure::App(custos_app::Error::Internal(format!("customer record: {e}"))))?;
    let group = st.app.customer_links(&p.actor(), &purpose, &id).await?;
    let links = crate::abuse::link_lines(&group);
    customer_page(&st, &p, &id, vec![], Some((rows(&v), purpose)), links).await
}

/// After an action: back to the page with what was done, or the page again with why not.
async fn after_customer(
    st: &Console,
    p: &Person,
    id: &CustomerId,
    r: Result<&str, custos_app::Error>,
    (form, body): (&'static str, &[u8]),
) -> Result<Response, Failure> {
    match r {
        Ok(done) => {
            Ok(Redirect::to(&format!("/console/customers/{id}?done={done}")).into_response())
        }
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let refused = Notice::refused(explain(&e).1, form, body);
            customer_page(st, p, id, vec![refused], None, Default::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    csrf: String,
    subject: String,
    outcome: String,
    #[serde(default)]
    reason: String,
}

pub async fn review(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    let f: ReviewForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Review)?;
    let r = async {
        let subject = SubjectId::parse(&f.subject)
            .map_err(|_| custos_app::Error::invalid("subject", "is not one of this customer's"))?;
        let outcome: custos_core::verification::ManualOutcome =
            crate::view::word("outcome", &f.outcome, "must be verified or failed")?;
        let d = st
            .app
            .decide_review(&p.actor(), &id, &subject, outcome, &f.reason)
            .await?;
        Ok(if d.is_waiting() {
            "review_waiting"
        } else {
            "reviewed"
        })
    }
    .await;
    after_customer(&st, &p, &id, r, ("review", &body)).await
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reference: String,
}

pub async fn resubmit(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    let f: ReasonForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Redress)?;
    let reason = Some(f.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let r = st
        .app
        .resubmit(&p.actor(), &id, reason)
        .await
        .map(|_| "resubmitted");
    after_customer(&st, &p, &id, r, ("resubmit", &body)).await
}

pub async fn place_hold(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    let f: ReasonForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::LegalHold)?;
    let r = async {
        let reason = custos_core::text::free_text("reason", &f.reason)?;
        let reference = Some(f.reference.trim().to_owned()).filter(|r| !r.is_empty());
        st.app
            .place_hold(&id, reason, reference, &p.actor())
            .await?;
        Ok("held")
    }
    .await;
    after_customer(&st, &p, &id, r, ("hold", &body)).await
}

pub async fn release_hold(
    State(st): State<Console>,
    p: Person,
    Path((id, hold)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = customer_id(&id)?;
    let f: crate::session::CsrfOnly = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::LegalHold)?;
    let r = st
        .app
        .release_hold(&id, &hold, &p.actor())
        .await
        .map(|_| "released");
    after_customer(&st, &p, &id, r, ("release", &body)).await
}

#[derive(Debug)]
pub struct ReasonRow {
    pub code: String,
    pub subject: String,
    pub detail: String,
    pub source: String,
}

#[derive(Debug)]
pub struct MeasureRow {
    pub list: String,
    pub entity: String,
    pub conditions: String,
    pub unmet: String,
    pub through: String,
}

#[derive(Debug)]
pub struct AccountHead {
    pub id: String,
    pub customer_id: String,
    pub kind: String,
    pub offering: String,
    pub parent: Option<String>,
    pub status: String,
    pub status_class: &'static str,
    pub decision: String,
    pub risk: String,
    pub opened: String,
    pub closed: Option<String>,
    pub close_reason: Option<String>,
    pub pending_since: Option<String>,
    pub last_access: Option<String>,
    pub reasons: Vec<ReasonRow>,
    pub required_steps: Vec<String>,
    pub restrictions: Vec<(String, String)>,
    pub measures: Vec<MeasureRow>,
    pub exemptions: Vec<String>,
}

#[derive(Debug)]
pub struct EventRow {
    pub time: String,
    pub ip: String,
    pub action: String,
    /// The SSH key used, by its fingerprint.
    pub ssh_key: Option<String>,
    pub source: String,
    pub index: u64,
    pub proven: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    f: Frame,
    a: AccountHead,
    exposure: Vec<(String, String, String)>,
    can_close: bool,
    can_read_events: bool,
    events: Option<Vec<EventRow>>,
    more: bool,
    purpose: String,
}

/// Access events read for a purpose, for the account page.
type Shown = (Vec<EventRow>, bool, String);

async fn account_page(
    st: &Console,
    p: &Person,
    id: &AccountId,
    notices: Vec<Notice>,
    shown: Option<Shown>,
) -> Result<Response, Failure> {
    let a = st.app.account(id).await?;
    let status = name(&a.status());
    let d = &a.decision;
    let head = AccountHead {
        id: a.id.as_str().to_owned(),
        customer_id: a.customer_id.as_str().to_owned(),
        kind: name(&a.kind),
        offering: name(&a.offering),
        parent: a.parent_id.as_ref().map(|x| x.as_str().to_owned()),
        status_class: tone(&status),
        status,
        decision: name(&d.decision),
        risk: name(&d.risk),
        opened: time(a.opened_at),
        closed: a.closed_at.map(time),
        close_reason: a.close_reason.clone(),
        pending_since: a.pending_since.map(time),
        last_access: a.last_access_at.map(time),
        reasons: d
            .reasons
            .iter()
            .map(|r| ReasonRow {
                code: name(&r.code),
                subject: r
                    .subject_id
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                detail: r.detail.clone(),
                source: r
                    .source
                    .as_ref()
                    .map(|s| {
                        serde_json::to_value(s)
                            .map(|v| rows(&v))
                            .unwrap_or_default()
                    })
                    .map(|rs| {
                        rs.into_iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        required_steps: d
            .required_steps
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .map(|v| {
                        rows(&v)
                            .into_iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default()
            })
            .collect(),
        restrictions: d
            .restrictions
            .iter()
            .map(|(k, v)| (k.replace('_', " "), v.to_string()))
            .collect(),
        measures: d
            .special_measures
            .iter()
            .map(|m| MeasureRow {
                list: m.list.clone(),
                entity: m.entity_id.clone(),
                conditions: m.conditions.join("; "),
                unmet: m
                    .unmet
                    .iter()
                    .map(|u| serde_json::to_string(u).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("; "),
                through: m
                    .inherited_from
                    .as_ref()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            })
            .collect(),
        exemptions: d
            .exemptions
            .iter()
            .map(|e| {
                format!(
                    "{}: {} (lifts {})",
                    e.id,
                    e.reason,
                    e.requirements
                        .iter()
                        .map(|r| name(r).replace('_', " "))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
    };
    let exposure = st
        .app
        .exposure(id)
        .await?
        .into_iter()
        .map(|e| {
            (
                e.customer_id.as_str().to_owned(),
                e.account_id.as_str().to_owned(),
                format!("{} {} ({})", e.list, e.entity_id, name(&e.state)),
            )
        })
        .collect();
    let status = status_of(&notices);
    Ok(page(
        status,
        AccountPage {
            f: Frame::new(format!("Account {}", a.id), p, "").with(notices),
            a: head,
            exposure,
            can_close: p.caller.require(Permission::CloseAccount).is_ok(),
            can_read_events: p.caller.require(Permission::ReadPersonal).is_ok(),
            more: shown.as_ref().is_some_and(|s| s.1),
            purpose: shown.as_ref().map(|s| s.2.clone()).unwrap_or_default(),
            events: shown.map(|s| s.0),
        },
    ))
}

pub async fn account(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, Failure> {
    let id = account_id(&id)?;
    account_page(&st, &p, &id, done_notice(&d).into_iter().collect(), None).await
}

pub async fn close(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = account_id(&id)?;
    let f: ReasonForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::CloseAccount)?;
    match st.app.decide_close(&p.caller, &id, &f.reason).await {
        Ok(d) => {
            let done = if d.is_waiting() {
                "close_waiting"
            } else {
                "closed"
            };
            Ok(Redirect::to(&format!("/console/accounts/{id}?done={done}")).into_response())
        }
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let refused = Notice::refused(explain(&e).1, "close", &body);
            account_page(&st, &p, &id, vec![refused], None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug)]
pub struct CaseHead {
    pub id: String,
    pub subject: String,
    pub list: String,
    pub entity_id: String,
    pub reference: Option<String>,
    pub measure: String,
    pub score: String,
    pub state: String,
    pub state_class: &'static str,
    pub opened: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    f: Frame,
    k: CaseHead,
    customer_id: String,
    can_reveal: bool,
    can_resolve: bool,
    revealed: Option<Vec<(String, String)>>,
    purpose: String,
}

async fn case_page(
    st: &Console,
    p: &Person,
    id: &str,
    notices: Vec<Notice>,
    revealed: Option<(Vec<(String, String)>, String)>,
) -> Result<Response, Failure> {
    let c = st.app.screening_case(id).await?;
    let k = &c.case;
    let state = name(&k.state);
    let head = CaseHead {
        id: k.id.clone(),
        subject: k.subject_id.as_str().to_owned(),
        list: k.list.clone(),
        entity_id: k.entity_id.clone(),
        reference: k.reference.clone(),
        measure: name(&k.measure),
        score: format!("{:.2}", k.score),
        state_class: tone(&state),
        state,
        opened: time(k.opened_at),
        updated: time_or_dash(Some(k.updated_at)),
    };
    let status = status_of(&notices);
    let (revealed, purpose) = match revealed {
        Some((r, p)) => (Some(r), p),
        None => (None, String::new()),
    };
    Ok(page(
        status,
        CasePage {
            f: Frame::new(format!("Screening case {}", k.id), p, "").with(notices),
            k: head,
            customer_id: c.customer_id.as_str().to_owned(),
            can_reveal: p.caller.require(Permission::ReadPersonal).is_ok(),
            can_resolve: p.caller.require(Permission::Review).is_ok(),
            revealed,
            purpose,
        },
    ))
}

pub async fn case(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, Failure> {
    case_page(&st, &p, &id, done_notice(&d).into_iter().collect(), None).await
}

pub async fn reveal_case(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: PurposeForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::ReadPersonal)?;
    let purpose = match purpose_of(&f.purpose) {
        Ok(x) => x,
        Err(e) => {
            let refused = Notice::refused(e, "reveal", &body);
            return case_page(&st, &p, &id, vec![refused], None).await;
        }
    };
    let (_, case) = st.app.read_case(&id, &p.actor(), &purpose).await?;
    let v = serde_json::to_value(&case)
        .map_err(|e| Failure::App(custos_app::Error::Internal(format!("case: {e}"))))?;
    case_page(&st, &p, &id, vec![], Some((rows(&v), purpose))).await
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    note: String,
}

pub async fn resolve(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ResolveForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Review)?;
    let r = async {
        let resolution: custos_core::screening::Resolution = crate::view::word(
            "resolution",
            &f.resolution,
            "must be confirmed or false_positive",
        )?;
        let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
        st.app
            .decide_resolution(&p.actor(), &id, resolution, note)
            .await
    }
    .await;
    match r {
        Ok(d) => {
            let done = if d.is_waiting() {
                "resolve_waiting"
            } else {
                "resolved"
            };
            Ok(Redirect::to(&format!("/console/screening/cases/{id}?done={done}")).into_response())
        }
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let refused = Notice::refused(explain(&e).1, "resolve", &body);
            case_page(&st, &p, &id, vec![refused], None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn account_events(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let id = account_id(&id)?;
    let f: PurposeForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::ReadPersonal)?;
    let purpose = match purpose_of(&f.purpose) {
        Ok(x) => x,
        Err(e) => {
            let refused = Notice::refused(e, "reveal", &body);
            return account_page(&st, &p, &id, vec![refused], None).await;
        }
    };
    // The account must exist before anything is read or audited.
    st.app.account(&id).await?;
    let ev = st
        .app
        .proven_account_events(&p.actor(), &purpose, id.as_str(), 30, 200)
        .await?;
    let rows = ev
        .events
        .events
        .iter()
        .zip(&ev.proven)
        .map(|(e, ok)| EventRow {
            time: e.event.time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ip: e.event.ip.to_string(),
            action: name(&e.event.action),
            ssh_key: e.event.ssh_key_fingerprint.clone(),
            source: e.event.source.clone(),
            index: e.index,
            proven: *ok,
        })
        .collect();
    account_page(
        &st,
        &p,
        &id,
        vec![],
        Some((rows, ev.events.has_more, purpose)),
    )
    .await
}
