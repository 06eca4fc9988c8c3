//! The home page and the queues.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::browse::QueueFilter;
use custos_app::keys::Permission;
use custos_core::screening::CaseState;
use serde::Deserialize;

use crate::Console;
use crate::session::{Person, encode, form};
use crate::view::{Failure, Frame, Notice, name, page, page_or_notice, time, time_or_dash, tone};

/// How many items the home page counts before it says "at least".
const COUNT_UP_TO: u32 = 100;
/// Items on a queue's page.
const PAGE: u32 = 50;

#[derive(Debug)]
pub struct DeadlineRow {
    pub due: String,
    pub clock: String,
    pub subject: String,
    pub what: String,
    pub overdue: bool,
    /// The clock's length in days, when it has one.
    pub days: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    f: Frame,
    accounts_total: usize,
    accounts_more: bool,
    by_reason: Vec<(String, usize)>,
    cases_open: usize,
    cases_more: bool,
    approvals: Option<usize>,
    deadlines: Option<Vec<DeadlineRow>>,
}

pub async fn home(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    let app = &st.app;
    let waiting = app.list_needing_action(None, COUNT_UP_TO).await?;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for a in &waiting.data {
        let mut codes: Vec<String> = a.decision.reasons.iter().map(|r| name(&r.code)).collect();
        codes.dedup();
        for c in codes {
            *by_reason.entry(c).or_default() += 1;
        }
    }
    let mut by_reason: Vec<(String, usize)> = by_reason.into_iter().collect();
    by_reason.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let cases = app
        .list_screening_cases(Some(CaseState::Open), None, COUNT_UP_TO)
        .await?;
    let deadlines = if p.caller.require(Permission::ReadCompliance).is_ok() {
        Some(
            app.deadlines(chrono::Duration::days(7))
                .await?
                .into_iter()
                .map(|d| DeadlineRow {
                    due: time(d.due_at),
                    clock: d.clock,
                    subject: d.subject,
                    what: d.what,
                    overdue: d.overdue,
                    days: d.days.map(|x| x.to_string()).unwrap_or_default(),
                })
                .collect(),
        )
    } else {
        None
    };
    let approvals = if p.caller.require(Permission::Review).is_ok() {
        Some(app.pending_approvals(None, 1000).await?.len())
    } else {
        None
    };
    Ok(page(
        StatusCode::OK,
        Home {
            f: Frame::new("Home", &p, "/console/"),
            accounts_total: waiting.data.len(),
            accounts_more: waiting.has_more,
            by_reason,
            cases_open: cases.data.len(),
            cases_more: cases.has_more,
            approvals,
            deadlines,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    pub reason: Option<String>,
    pub status: Option<String>,
    pub risk: Option<String>,
    pub reseller: Option<String>,
    pub older_than_days: Option<String>,
    /// `oldest` (the default) or `newest`.
    pub sort: Option<String>,
    pub after: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug)]
pub struct AccountRow {
    pub id: String,
    pub customer_id: String,
    pub status: String,
    pub status_class: &'static str,
    pub reasons: String,
    pub risk: String,
    pub since: String,
    pub claimed_by: String,
    pub claimed_by_me: bool,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct Accounts {
    f: Frame,
    filter: QueueQuery,
    reasons: Vec<String>,
    statuses: Vec<String>,
    risks: Vec<String>,
    rows: Vec<AccountRow>,
    next: Option<String>,
    can_claim: bool,
    /// A compliance officer or an admin may release another's claim.
    can_release_any: bool,
    here: String,
}

/// A filter's value from a form, or what is wrong with it.
fn parse<T: serde::de::DeserializeOwned>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::view::word(field, s, "no such value")
            .map(Some)
            .map_err(|_| format!("{field}: no such value")),
    }
}

fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
    all.iter().map(name).collect()
}

fn filter_of(q: &QueueQuery, now: chrono::DateTime<chrono::Utc>) -> Result<QueueFilter, String> {
    let reseller = match q
        .reseller
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(r) => Some(
            custos_core::AccountId::parse(r)
                .map_err(|_| "under reseller account: not an account id (acc_…)".to_owned())?,
        ),
    };
    let waiting_before = match q
        .older_than_days
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(d) => {
            let d: u32 = d
                .parse()
                .ok()
                .filter(|d| *d <= 36_500)
                .ok_or_else(|| "waiting at least: a whole number of days".to_owned())?;
            Some(now - chrono::Duration::days(i64::from(d)))
        }
    };
    let newest_first = match q.sort.as_deref().unwrap_or("oldest") {
        "oldest" | "" => false,
        "newest" => true,
        _ => return Err("sort: oldest or newest".to_owned()),
    };
    Ok(QueueFilter {
        newest_first,
        reason: parse("reason", &q.reason)?,
        status: parse("status", &q.status)?,
        risk: parse("risk", &q.risk)?,
        reseller,
        waiting_before,
    })
}

/// The query string of a queue's page, with `after` for the next.
fn query_with(q: &QueueQuery, after: &str) -> String {
    let mut parts = vec![];
    for (k, v) in [
        ("reason", &q.reason),
        ("status", &q.status),
        ("risk", &q.risk),
        ("reseller", &q.reseller),
        ("older_than_days", &q.older_than_days),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    parts.push(format!("after={}", encode(after)));
    parts.join("&")
}

fn done_notice(done: &Option<String>) -> Option<Notice> {
    match done.as_deref() {
        Some("claimed") => Some(Notice::done("Claimed: it is yours to work.")),
        Some("released") => Some(Notice::done("Released: someone else may take it.")),
        _ => None,
    }
}

pub async fn accounts(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<QueueQuery>,
) -> Result<Response, Failure> {
    use custos_core::{AccountStatus, ReasonCode, RiskLevel};
    let reasons = names(&[
        ReasonCode::ForeignCustomerUnverified,
        ReasonCode::ForeignBeneficialOwnerUnverified,
        ReasonCode::SubjectInManualReview,
        ReasonCode::VerificationFailed,
        ReasonCode::BlockedUntilVerified,
        ReasonCode::OfferingRefusedWhileUnverified,
        ReasonCode::ParentAccountNotActive,
        ReasonCode::VerificationDeadlinePassed,
        ReasonCode::ScreeningProhibited,
        ReasonCode::ScreeningReview,
        ReasonCode::SpecialMeasureConditions,
        ReasonCode::SpecialMeasureConditionUnmet,
    ]);
    let statuses = names(&[
        AccountStatus::PendingVerification,
        AccountStatus::Restricted,
        AccountStatus::Suspended,
        AccountStatus::Active,
    ]);
    let risks = names(&[RiskLevel::Low, RiskLevel::Medium, RiskLevel::High]);
    let mut notices: Vec<Notice> = done_notice(&q.done).into_iter().collect();
    let (rows, next) = match filter_of(&q, st.app.now()) {
        Err(e) => {
            notices.push(Notice::error(e));
            (vec![], None)
        }
        Ok(f) => {
            let pg = page_or_notice(
                st.app.queue(&f, q.after.as_deref(), PAGE).await,
                &mut notices,
            )?;
            let ids: Vec<String> = pg.data.iter().map(|a| a.id.as_str().to_owned()).collect();
            let claims = st.app.claims(&ids).await?;
            let rows = pg
                .data
                .iter()
                .map(|a| {
                    let status = name(&a.status());
                    let claimed = claims.get(a.id.as_str()).cloned().unwrap_or_default();
                    AccountRow {
                        id: a.id.as_str().to_owned(),
                        customer_id: a.customer_id.as_str().to_owned(),
                        status_class: tone(&status),
                        status,
                        reasons: a
                            .decision
                            .reasons
                            .iter()
                            .map(|r| name(&r.code))
                            .collect::<Vec<_>>()
                            .join(", "),
                        risk: name(&a.decision.risk),
                        since: time_or_dash(a.pending_since.or(Some(a.opened_at))),
                        claimed_by_me: claimed == p.user.email,
                        claimed_by: claimed,
                    }
                })
                .collect();
            let next = pg
                .next_cursor
                .map(|c| format!("/console/queues/accounts?{}", query_with(&q, &c)));
            (rows, next)
        }
    };
    let here = format!(
        "/console/queues/accounts?{}",
        query_with(&q, q.after.as_deref().unwrap_or(""))
    );
    Ok(page(
        StatusCode::OK,
        Accounts {
            f: Frame::new("Accounts queue", &p, "/console/queues/accounts").with(notices),
            can_claim: p.caller.require(Permission::Review).is_ok(),
            can_release_any: matches!(
                p.user.role,
                custos_app::keys::Role::ComplianceOfficer | custos_app::keys::Role::Admin
            ),
            filter: q,
            reasons,
            statuses,
            risks,
            rows,
            next,
            here,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct CasesQuery {
    pub state: Option<String>,
    pub list: Option<String>,
    pub after: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug)]
pub struct CaseRow {
    pub id: String,
    pub customer_id: String,
    pub list: String,
    pub entity_id: String,
    pub measure: String,
    pub score: String,
    pub state: String,
    pub opened: String,
    pub claimed_by: String,
    pub claimed_by_me: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct Cases {
    f: Frame,
    states: Vec<String>,
    state: String,
    list: String,
    rows: Vec<CaseRow>,
    next: Option<String>,
    can_claim: bool,
    /// A compliance officer or an admin may release another's claim.
    can_release_any: bool,
    here: String,
}

pub async fn cases(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<CasesQuery>,
) -> Result<Response, Failure> {
    let mut states = vec!["any".to_owned()];
    states.extend(names(&[
        CaseState::Open,
        CaseState::Confirmed,
        CaseState::FalsePositive,
        CaseState::Cleared,
    ]));
    let state_text = q.state.clone().unwrap_or_else(|| "open".into());
    let mut notices: Vec<Notice> = done_notice(&q.done).into_iter().collect();
    let state: Option<CaseState> = if state_text == "any" {
        None
    } else {
        match parse("state", &Some(state_text.clone())) {
            Ok(s) => s,
            Err(e) => {
                notices.push(Notice::error(e));
                Some(CaseState::Open)
            }
        }
    };
    let list = q.list.clone().unwrap_or_default();
    let list_f = Some(list.trim()).filter(|l| !l.is_empty());
    let pg = page_or_notice(
        st.app
            .screening_queue(state, list_f, q.after.as_deref(), PAGE)
            .await,
        &mut notices,
    )?;
    let ids: Vec<String> = pg.data.iter().map(|c| c.case.id.clone()).collect();
    let claims = st.app.claims(&ids).await?;
    let rows = pg
        .data
        .iter()
        .map(|c| {
            let claimed = claims.get(&c.case.id).cloned().unwrap_or_default();
            CaseRow {
                id: c.case.id.clone(),
                customer_id: c.customer_id.as_str().to_owned(),
                list: c.case.list.clone(),
                entity_id: c.case.entity_id.clone(),
                measure: name(&c.case.measure),
                score: format!("{:.2}", c.case.score),
                state: name(&c.case.state),
                opened: time(c.case.opened_at),
                claimed_by_me: claimed == p.user.email,
                claimed_by: claimed,
            }
        })
        .collect();
    let base = format!("state={}&list={}", encode(&state_text), encode(&list));
    let next = pg
        .next_cursor
        .map(|c| format!("/console/queues/cases?{base}&after={}", encode(&c)));
    let here = format!(
        "/console/queues/cases?{base}&after={}",
        encode(q.after.as_deref().unwrap_or(""))
    );
    Ok(page(
        StatusCode::OK,
        Cases {
            f: Frame::new("Screening cases", &p, "/console/queues/cases").with(notices),
            can_claim: p.caller.require(Permission::Review).is_ok(),
            can_release_any: matches!(
                p.user.role,
                custos_app::keys::Role::ComplianceOfficer | custos_app::keys::Role::Admin
            ),
            state: state_text,
            states,
            list,
            rows,
            next,
            here,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ClaimForm {
    csrf: String,
    item: String,
    /// `claim` or `release`.
    action: String,
    /// The queue page to go back to.
    back: String,
}

/// Claims or releases a queue item, then back to the queue.
pub async fn claim(State(st): State<Console>, p: Person, body: Bytes) -> Result<Response, Failure> {
    let f: ClaimForm = form(&body)?;
    p.check(&f.csrf)?;
    let back = if f.back.starts_with("/console/queues/") {
        f.back.clone()
    } else {
        "/console/queues/accounts".to_owned()
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    let done = match f.action.as_str() {
        "claim" => {
            st.app.claim(&p.caller, &f.item).await?;
            "claimed"
        }
        "release" => {
            st.app.release_claim(&p.caller, &f.item).await?;
            "released"
        }
        _ => {
            return Err(Failure::App(custos_app::Error::invalid(
                "action",
                "must be claim or release",
            )));
        }
    };
    Ok(Redirect::to(&format!("{back}{sep}done={done}")).into_response())
}

#[derive(Debug)]
pub struct ApprovalRow {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub href: Option<String>,
    pub customer_id: String,
    pub requested_by: String,
    pub requested_at: String,
    pub mine: bool,
    /// Whether this person may decide it.
    pub can_decide: bool,
    /// Why its asker asked.
    pub reason: String,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct Approvals {
    f: Frame,
    rows: Vec<ApprovalRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn approvals(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Failure> {
    let notice = match q.done.as_deref() {
        Some("approved") => Some(Notice::done("Approved: the decision is applied.")),
        Some("rejected") => Some(Notice::done("Rejected: nothing was applied.")),
        _ => None,
    };
    p.caller.require(Permission::Review)?;
    approvals_page(&st, &p, StatusCode::OK, notice.into_iter().collect()).await
}

async fn approvals_page(
    st: &Console,
    p: &Person,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    let rows = st.app.pending_with_reasons(&p.caller, 200).await?;
    // A termination is about a case: linked on its reseller's page.
    let cases: std::collections::HashMap<String, String> =
        if rows.iter().any(|(a, _)| a.kind == "terminate_reseller") {
            st.app
                .non_compliance_cases()
                .await?
                .into_iter()
                .map(|c| (c.id, c.account_id.as_str().to_owned()))
                .collect()
        } else {
            Default::default()
        };
    let rows = rows
        .into_iter()
        .map(|(a, reason)| ApprovalRow {
            can_decide: p
                .caller
                .require(custos_app::approvals::power(&a.kind))
                .is_ok(),
            reason: reason.unwrap_or_default(),
            href: match a.kind.as_str() {
                "close_account" => Some(format!("/console/accounts/{}", a.target)),
                "close_for_abuse" | "clear_red_flags" | custos_app::sharing::SHARE_ADDRESSES => {
                    Some(format!("/console/abuse/{}", encode(&a.target)))
                }
                "confirm_match" | "reverse_match" => {
                    Some(format!("/console/screening/cases/{}", a.target))
                }
                "terminate_reseller" => cases.get(&a.target).map(|r| {
                    format!(
                        "/console/resellers/{}#case-{}",
                        encode(r),
                        encode(&a.target)
                    )
                }),
                _ => None,
            },
            kind: match &a.shares {
                Some(what) => format!("share {what}"),
                None => a.kind.replace('_', " "),
            },
            mine: a.requested_by == p.user.email,
            id: a.id,
            target: a.target,
            customer_id: a.customer_id,
            requested_by: a.requested_by,
            requested_at: time(a.requested_at),
        })
        .collect();
    Ok(page(
        status,
        Approvals {
            f: Frame::new("Approvals", p, "/console/approvals").with(notices),
            rows,
        },
    ))
}

/// Approves or rejects a decision, then back to the list.
pub async fn decide(
    State(st): State<Console>,
    p: Person,
    axum::extract::Path((id, verb)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: crate::session::CsrfOnly = form(&body)?;
    p.check(&f.csrf)?;
    let r = match verb.as_str() {
        "approve" => st.app.approve(&p.caller, &id).await.map(|_| "approved"),
        "reject" => st.app.reject(&p.caller, &id).await.map(|_| "rejected"),
        _ => {
            return Err(Failure::App(custos_app::Error::NotFound(
                "no such action".into(),
            )));
        }
    };
    match r {
        Ok(done) => Ok(Redirect::to(&format!("/console/approvals?done={done}")).into_response()),
        Err(e @ (custos_app::Error::Forbidden(_) | custos_app::Error::Conflict(_))) => {
            let (status, text) = crate::view::explain(&e);
            approvals_page(&st, &p, status, vec![Notice::error(text)]).await
        }
        Err(e) => Err(e.into()),
    }
}
