//! Resellers: the list, a reseller's tree and CIP versions, and its non-compliance cases with
//! their clocks; a compliance officer flags a reseller, reports on a case and closes it
//! (terminating the relationship waits for a second person, as closing an account does).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::approvals::Decided;
use custos_app::keys::Permission;
use custos_app::resellers::{NonCompliance, NonComplianceOutcome};
use serde::Deserialize;

use crate::Console;
use crate::session::{Person, encode, form};
use crate::view::{Failure, Frame, Notice, explain, name, page, time};

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Debug)]
pub struct ResellerRow {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub foreign: &'static str,
    pub parent: String,
    pub cip: String,
    pub cases: String,
}

#[derive(Debug)]
pub struct CaseRow {
    pub id: String,
    pub account: String,
    pub reason: String,
    pub flagged: String,
    pub terminate_by: String,
    pub left: String,
    pub overdue: bool,
    pub closed: bool,
    pub reports: usize,
    /// Each report: when, by whom, what, and whether it names suspected malicious activity.
    pub report_lines: Vec<(String, String, String, bool)>,
    pub outcome: String,
    pub close_reason: String,
}

fn case_row(c: NonCompliance, now: chrono::DateTime<chrono::Utc>) -> CaseRow {
    let days = (c.terminate_by - now).num_days();
    CaseRow {
        overdue: c.closed_at.is_none() && c.terminate_by < now,
        closed: c.closed_at.is_some(),
        left: if days >= 0 {
            format!("{days} days left")
        } else {
            format!("{} days past", -days)
        },
        account: c.account_id.as_str().to_owned(),
        reason: c.reason,
        flagged: format!("{} by {}", time(c.flagged_at), c.flagged_by),
        terminate_by: time(c.terminate_by),
        reports: c.reports.len(),
        report_lines: c
            .reports
            .into_iter()
            .map(|r| (time(r.at), r.by, r.text, r.suspected_malicious_activity))
            .collect(),
        outcome: match (c.outcome, c.closed_at) {
            (Some(o), Some(at)) => format!("{} {}", name(&o), time(at)),
            (Some(o), None) => name(&o),
            _ => "open".into(),
        },
        close_reason: c.note.unwrap_or_default(),
        id: c.id,
    }
}

#[derive(Template)]
#[template(path = "resellers.html")]
struct Resellers {
    f: Frame,
    rows: Vec<ResellerRow>,
    cases: Vec<CaseRow>,
}

pub async fn resellers(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let rows = st
        .app
        .resellers()
        .await?
        .into_iter()
        .map(|r| ResellerRow {
            id: r.account_id.as_str().to_owned(),
            customer: r.customer_id.as_str().to_owned(),
            status: name(&r.status),
            foreign: if r.foreign { "yes" } else { "no" },
            parent: r
                .parent_id
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            cip: r
                .cip
                .map(|c| format!("version {}, {}", c.version, time(c.uploaded_at)))
                .unwrap_or_else(|| "none".into()),
            cases: r.open_non_compliance.join(", "),
        })
        .collect();
    let now = st.app.now();
    let cases = st
        .app
        .non_compliance_cases()
        .await?
        .into_iter()
        .map(|c| case_row(c, now))
        .collect();
    Ok(page(
        StatusCode::OK,
        Resellers {
            f: Frame::new("Resellers", &p, "/console/resellers"),
            rows,
            cases,
        },
    ))
}

#[derive(Debug)]
pub struct Node {
    pub depth: usize,
    pub account: String,
    pub customer: String,
    pub kind: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "reseller.html")]
struct Reseller {
    f: Frame,
    id: String,
    tree: Vec<Node>,
    cips: Vec<(i64, String, String, String, String)>,
    cases: Vec<CaseRow>,
    /// A compliance officer's: flag, report, close.
    can_act: bool,
    /// A termination of this reseller waits for a second person.
    waiting: Vec<String>,
    /// Open, with no open case: it can be flagged.
    flaggable: bool,
}

fn flatten(n: &custos_app::resellers::TreeNode, depth: usize, out: &mut Vec<Node>) {
    out.push(Node {
        depth: depth.min(4),
        account: n.account_id.as_str().to_owned(),
        customer: n.customer_id.as_str().to_owned(),
        kind: name(&n.kind),
        status: name(&n.status),
    });
    for c in &n.children {
        flatten(c, depth + 1, out);
    }
}

pub async fn reseller(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, Failure> {
    let notice = match q.done.as_deref() {
        Some("flagged") => Some(Notice::done(
            "The reseller is flagged: the relationship must end by the date shown unless the \
             case is resolved.",
        )),
        Some("reported") => Some(Notice::done("The report is added to the case.")),
        Some("resolved") => Some(Notice::done("The case is closed as resolved.")),
        Some("terminated") => Some(Notice::done(
            "The relationship is terminated: the reseller account and every account under it \
             are closed.",
        )),
        Some("terminate_waiting") => Some(Notice::done(
            "The termination waits for a second person's approval (Approvals).",
        )),
        _ => None,
    };
    reseller_page(&st, &p, &id, StatusCode::OK, notice.into_iter().collect()).await
}

async fn reseller_page(
    st: &Console,
    p: &Person,
    id: &str,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let id = id.to_owned();
    let account = custos_core::AccountId::parse(&id)
        .map_err(|_| custos_app::Error::NotFound(format!("reseller account {id}")))?;
    let root = st.app.tree(&account).await?;
    if root.kind != custos_core::AccountKind::Reseller {
        return Err(custos_app::Error::NotFound(format!("reseller account {id}")).into());
    }
    let mut tree = vec![];
    flatten(&root, 0, &mut tree);
    let cips = st
        .app
        .documents(Some(account.as_str()), Some("cip"))
        .await?
        .into_iter()
        .map(|d| {
            (
                d.version,
                time(d.uploaded_at),
                d.uploaded_by,
                d.file_name,
                d.sha256,
            )
        })
        .collect();
    let now = st.app.now();
    let cases: Vec<CaseRow> = st
        .app
        .non_compliance_cases()
        .await?
        .into_iter()
        .filter(|c| c.account_id == account)
        .map(|c| case_row(c, now))
        .collect();
    let waiting = st
        .app
        .pending_approvals(None, 200)
        .await?
        .into_iter()
        .filter(|a| a.kind == "terminate_reseller" && cases.iter().any(|c| c.id == a.target))
        .map(|a| a.target)
        .collect();
    Ok(page(
        status,
        Reseller {
            f: Frame::new(format!("Reseller {id}"), p, "").with(notices),
            id,
            tree,
            cips,
            can_act: p.caller.require(Permission::Compliance).is_ok(),
            flaggable: root.status != custos_core::AccountStatus::Closed
                && cases.iter().all(|c| c.closed),
            cases,
            waiting,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct FlagForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Deserialize)]
pub struct ReportForm {
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    malicious: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
}

/// After an action: back to the reseller's page with what was done, or the page again with
/// why not (and what was typed).
async fn after(
    st: &Console,
    p: &Person,
    id: &str,
    r: Result<&str, custos_app::Error>,
    (form, body): (&'static str, &[u8]),
) -> Result<Response, Failure> {
    match r {
        Ok(done) => Ok(
            Redirect::to(&format!("/console/resellers/{}?done={done}", encode(id))).into_response(),
        ),
        Err(
            e @ (custos_app::Error::Validation { .. }
            | custos_app::Error::Conflict(_)
            | custos_app::Error::NotFound(_)),
        ) => {
            let (status, text) = explain(&e);
            let status = if status == StatusCode::NOT_FOUND {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            reseller_page(st, p, id, status, vec![Notice::refused(text, form, body)]).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The case `case`, if it is one of reseller `id`'s.
async fn its_case(st: &Console, id: &str, case: &str) -> Result<(), Failure> {
    let c = st.app.non_compliance(case).await?;
    if c.account_id.as_str() != id {
        return Err(custos_app::Error::NotFound(format!(
            "non-compliance case {case} of reseller {id}"
        ))
        .into());
    }
    Ok(())
}

pub async fn flag(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: FlagForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    let r = async {
        let account = custos_core::AccountId::parse(&id)
            .map_err(|_| custos_app::Error::NotFound(format!("reseller account {id}")))?;
        let reason = custos_core::text::free_text("reason", &f.reason)?;
        st.app
            .flag_non_compliance(&account, reason, &p.actor())
            .await?;
        Ok("flagged")
    }
    .await;
    after(&st, &p, &id, r, ("flag", &body)).await
}

pub async fn report(
    State(st): State<Console>,
    p: Person,
    Path((id, case)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ReportForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    its_case(&st, &id, &case).await?;
    let r = async {
        let text = custos_core::text::free_text("text", &f.text)?;
        st.app
            .report_non_compliance(&case, text, f.malicious.is_some(), &p.actor())
            .await?;
        Ok("reported")
    }
    .await;
    after(&st, &p, &id, r, ("report", &body)).await
}

pub async fn close(
    State(st): State<Console>,
    p: Person,
    Path((id, case)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: CloseForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    its_case(&st, &id, &case).await?;
    let r = async {
        let outcome = match f.outcome.as_str() {
            "resolved" => NonComplianceOutcome::Resolved,
            "terminated" => NonComplianceOutcome::Terminated,
            _ => {
                return Err(custos_app::Error::invalid(
                    "outcome",
                    "choose resolved or terminated",
                ));
            }
        };
        let reason = Some(f.reason.trim().to_owned()).filter(|r| !r.is_empty());
        Ok(
            match st
                .app
                .decide_non_compliance_close(&p.actor(), &case, outcome, reason)
                .await?
            {
                Decided::Waiting(_) => "terminate_waiting",
                Decided::Done(_) if outcome == NonComplianceOutcome::Terminated => "terminated",
                Decided::Done(_) => "resolved",
            },
        )
    }
    .await;
    after(&st, &p, &id, r, ("close", &body)).await
}
