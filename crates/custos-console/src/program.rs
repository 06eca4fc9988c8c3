//! The compliance program's pages: designations (the list, the schedule, a preview of whom one
//! will reach, entering and extending), the program (deadlines, exemptions, the certification
//! previewed and downloaded, filing), and the audit trail.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::designations::{DesignationSubject, DesignationView, Measure, NewDesignation};
use custos_app::keys::Permission;
use serde::Deserialize;

use crate::Console;
use crate::pages::DeadlineRow;
use crate::session::{Person, encode, form};
use crate::view::{Failure, Frame, Notice, explain, name, page, time};

#[derive(Debug)]
pub struct DesignationRow {
    pub id: String,
    pub subject: String,
    pub measure: String,
    pub status: String,
    pub status_class: &'static str,
    pub effective: String,
    pub ends: String,
    pub cases: String,
    pub reference: String,
}

fn row(v: &DesignationView) -> DesignationRow {
    use custos_app::designations::DesignationStatus as S;
    let d = &v.designation;
    let subject = match &d.subject {
        DesignationSubject::Jurisdiction { country } => format!("jurisdiction {country}"),
        DesignationSubject::Person { name, .. } => format!("person {name}"),
    };
    DesignationRow {
        id: d.id.clone(),
        subject,
        measure: name(&d.measure),
        status: name(&v.status).replace('_', " "),
        status_class: match v.status {
            S::InForce => "bad",
            S::Scheduled => "warn",
            S::Expired => "done",
        },
        effective: d.effective.to_string(),
        ends: v.ends.map(|e| e.to_string()).unwrap_or_else(|| "-".into()),
        cases: format!("{} ({})", v.open_cases, v.confirmed_cases),
        reference: d.reference.clone(),
    }
}

#[derive(Debug)]
pub struct ScheduleRow {
    pub date: String,
    pub when: String,
    pub id: String,
    pub event: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "designations.html")]
struct Designations {
    f: Frame,
    rows: Vec<DesignationRow>,
    schedule: Vec<ScheduleRow>,
    timeline: Option<crate::timeline::Timeline>,
    can_enter: bool,
}

async fn designations_page(
    st: &Console,
    p: &Person,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    let views = st.app.designation_views().await?;
    let rows = views.iter().map(row).collect();
    let timeline = crate::timeline::draw(&views, st.app.now().date_naive());
    let schedule = st
        .app
        .schedule()
        .await?
        .into_iter()
        .map(|e| ScheduleRow {
            date: e.date.to_string(),
            when: match e.days_from_today {
                0 => "today".into(),
                d if d < 0 => format!("{} days ago", -d),
                d => format!("in {d} days"),
            },
            id: e.designation_id,
            event: e.event.replace('_', " "),
            reference: e.reference,
        })
        .collect();
    Ok(page(
        status,
        Designations {
            f: Frame::new("Designations", p, "/console/designations").with(notices),
            rows,
            schedule,
            timeline,
            can_enter: p.caller.require(Permission::Compliance).is_ok(),
        },
    ))
}

pub async fn designations(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    designations_page(&st, &p, StatusCode::OK, vec![]).await
}

#[derive(Debug, Deserialize)]
pub struct NewForm {
    csrf: String,
    id: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    determined: String,
    #[serde(default)]
    effective: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    reference: String,
}

/// A day from a form's date field: empty is none.
fn day(field: &str, v: &str) -> Result<Option<chrono::NaiveDate>, custos_app::Error> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| custos_app::Error::invalid(field, "must be a day, YYYY-MM-DD"))
}

pub async fn add_designation(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: NewForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    let r = async {
        let subject = match (f.jurisdiction.trim(), f.person.trim()) {
            (c, "") if !c.is_empty() => DesignationSubject::Jurisdiction {
                country: c.to_uppercase(),
            },
            ("", n) if !n.is_empty() => DesignationSubject::Person {
                name: n.to_owned(),
                aliases: vec![],
                entity_kind: None,
                birth_date: None,
                countries: vec![],
            },
            _ => {
                return Err(custos_app::Error::invalid(
                    "jurisdiction",
                    "name a jurisdiction or a person, not both",
                ));
            }
        };
        let conditions: Vec<String> = f
            .conditions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let measure = if conditions.is_empty() {
            Measure::Prohibition
        } else {
            Measure::Conditions
        };
        st.app
            .add_designation(
                NewDesignation {
                    id: f.id.trim().to_owned(),
                    subject,
                    measure,
                    conditions,
                    determined: day("determined", &f.determined)?,
                    effective: day("effective", &f.effective)?,
                    expires: day("expires", &f.expires)?,
                    reference: f.reference.trim().to_owned(),
                },
                &p.actor(),
            )
            .await
    }
    .await;
    match r {
        Ok(v) => Ok(Redirect::to(&format!(
            "/console/designations/{}?done=entered",
            encode(&v.designation.id)
        ))
        .into_response()),
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let (status, text) = explain(&e);
            designations_page(
                &st,
                &p,
                status,
                vec![Notice::refused(text, "designation", &body)],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug)]
pub struct PreviewView {
    pub screened: u64,
    pub decisive: Vec<(String, String)>,
    pub review: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "designation.html")]
struct DesignationPage {
    f: Frame,
    d: DesignationRow,
    list: String,
    conditions: Vec<String>,
    /// Each extension: until when, and the notice that made it.
    extensions: Vec<(String, String)>,
    determined: String,
    can_enter: bool,
    preview: Option<PreviewView>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    /// How many accounts an exemption's grant or revocation decided again (anything else in
    /// the address is ignored: it only words the notice).
    redecided: Option<String>,
}

async fn designation_page(
    st: &Console,
    p: &Person,
    id: &str,
    status: StatusCode,
    notices: Vec<Notice>,
    preview: Option<PreviewView>,
) -> Result<Response, Failure> {
    let v = st
        .app
        .designation_views()
        .await?
        .into_iter()
        .find(|v| v.designation.id == id)
        .ok_or_else(|| custos_app::Error::NotFound(format!("designation {id}")))?;
    Ok(page(
        status,
        DesignationPage {
            f: Frame::new(format!("Designation {id}"), p, "").with(notices),
            d: row(&v),
            list: v.list.clone(),
            conditions: v.designation.conditions.clone(),
            extensions: v
                .designation
                .extensions
                .iter()
                .map(|x| (x.until.to_string(), x.reference.clone()))
                .collect(),
            determined: v
                .designation
                .determined
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            can_enter: p.caller.require(Permission::Compliance).is_ok(),
            preview,
        },
    ))
}

pub async fn designation(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Failure> {
    let notice = match q.done.as_deref() {
        Some("entered") => Some(Notice::done("The designation is entered.")),
        Some("extended") => Some(Notice::done("The designation is extended.")),
        _ => None,
    };
    designation_page(
        &st,
        &p,
        &id,
        StatusCode::OK,
        notice.into_iter().collect(),
        None,
    )
    .await
}

pub async fn preview(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: crate::session::CsrfOnly = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    let pv = st.app.preview_designation(&id, &p.actor()).await?;
    let hits = |h: Vec<custos_app::designations::PreviewHit>| {
        h.into_iter()
            .map(|x| {
                (
                    x.customer_id.as_str().to_owned(),
                    x.accounts
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect()
    };
    let view = PreviewView {
        screened: pv.customers_screened,
        decisive: hits(pv.decisive),
        review: hits(pv.review),
    };
    designation_page(&st, &p, &id, StatusCode::OK, vec![], Some(view)).await
}

#[derive(Debug, Deserialize)]
pub struct ExtendForm {
    csrf: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reference: String,
}

pub async fn extend(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ExtendForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    let r = async {
        let until = day("until", &f.until)?
            .ok_or_else(|| custos_app::Error::invalid("until", "is required"))?;
        st.app
            .extend_designation(&id, until, f.reference.trim().to_owned(), &p.actor())
            .await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!(
            "/console/designations/{}?done=extended",
            encode(&id)
        ))
        .into_response()),
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let (status, text) = explain(&e);
            designation_page(
                &st,
                &p,
                &id,
                status,
                vec![Notice::refused(text, "extend", &body)],
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct Compliance {
    f: Frame,
    deadlines: Vec<DeadlineRow>,
    exemptions: Vec<crate::exemptions::ExemptionRow>,
    /// Revoked, expired, or to come.
    other_exemptions: Vec<crate::exemptions::ExemptionRow>,
    /// Each filing: when, which, by whom, and the official named.
    filings: Vec<(String, String, String, String)>,
    can_file: bool,
    adp_documents: Vec<(String, i64, String, String, String)>,
    adp_reviews: Vec<(String, String, String, String, String)>,
    adp_deviations: Vec<(String, String, String, String)>,
}

pub(crate) async fn compliance_page(
    st: &Console,
    p: &Person,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let deadlines = st
        .app
        .deadlines(chrono::Duration::days(90))
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
        .collect();
    let (exemptions, other_exemptions) = crate::exemptions::listed(st).await?;
    let filings = st
        .app
        .filings()
        .await?
        .into_iter()
        .map(|x| {
            (
                time(x.filed_at),
                x.kind,
                x.filed_by,
                x.signer
                    .map(|s| format!("{} ({})", s.name, s.title))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let adp = st.app.adp_record().await?;
    let adp_documents = adp
        .documents
        .into_iter()
        .map(|d| {
            (
                d.kind.replace('_', " "),
                d.version,
                time(d.uploaded_at),
                d.uploaded_by,
                d.file_name,
            )
        })
        .collect();
    let adp_reviews = adp
        .reviews
        .into_iter()
        .map(|r| {
            (
                r.reviewed_on.to_string(),
                r.reviewer,
                r.summary,
                r.findings.join("; "),
                r.next_review.map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let adp_deviations = adp
        .deviations
        .into_iter()
        .map(|d| {
            (
                time(d.occurred_at),
                d.description,
                time(d.notify_by),
                match (d.notified_at, d.notice_reference) {
                    (Some(t), Some(r)) => format!("{} ({r})", time(t)),
                    (Some(t), None) => time(t),
                    _ => "not yet".into(),
                },
            )
        })
        .collect();
    Ok(page(
        status,
        Compliance {
            adp_documents,
            adp_reviews,
            adp_deviations,
            f: Frame::new("Compliance", p, "/console/compliance").with(notices),
            deadlines,
            exemptions,
            other_exemptions,
            filings,
            can_file: p.caller.require(Permission::Compliance).is_ok(),
        },
    ))
}

pub async fn compliance(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Failure> {
    let notice = match q.done.as_deref() {
        Some("filed") => Some(Notice::done("The certification is recorded as filed.")),
        Some(x @ ("granted" | "revoked")) => Some(Notice::done(
            match q.redecided.as_deref().and_then(|n| n.parse::<u64>().ok()) {
                Some(0) => format!("The exemption is {x}; no account's decision changed."),
                Some(1) => format!("The exemption is {x}; one account's decision changed."),
                Some(n) => format!("The exemption is {x}; {n} accounts' decisions changed."),
                None => format!("The exemption is {x}."),
            },
        )),
        _ => None,
    };
    compliance_page(&st, &p, StatusCode::OK, notice.into_iter().collect()).await
}

#[derive(Template)]
#[template(path = "certification.html")]
struct Certification {
    f: Frame,
    body: String,
    annual: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct CertQuery {
    #[serde(default)]
    annual: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// The certification from live data: its HTML (served as its own document, with the
/// console's headers) or its PDF, as a download.
pub async fn certification(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<CertQuery>,
) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let annual = match q.annual.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(custos_app::Error::invalid("annual", "is true or false").into());
        }
    };
    let c = st.app.certification(annual, &p.actor()).await?;
    match q.format.as_deref() {
        None | Some("html") => {
            // The certification's own document, inside the console's page (its styles are
            // the console's: no inline style under the console's policy). What it shows was
            // escaped when the document was made.
            let html = custos_app::report::to_html(&c);
            let body = html
                .split_once("<body>")
                .and_then(|(_, b)| b.rsplit_once("</body>"))
                .map(|(b, _)| b.to_owned())
                .unwrap_or_default();
            Ok(page(
                StatusCode::OK,
                Certification {
                    f: Frame::new("Certification", &p, "/console/compliance"),
                    body,
                    annual,
                },
            ))
        }
        Some("pdf") => {
            let pdf = custos_app::report::to_pdf(&c)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"certification.pdf\"",
                    ),
                ],
                pdf,
            )
                .into_response())
        }
        Some(_) => Err(Failure::App(custos_app::Error::invalid(
            "format",
            "must be html or pdf",
        ))),
    }
}

#[derive(Debug, Deserialize)]
pub struct FileForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    signer: String,
    #[serde(default)]
    title: String,
}

pub async fn file(State(st): State<Console>, p: Person, body: Bytes) -> Result<Response, Failure> {
    let f: FileForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    // The official named on the document: both a name and a title, or neither.
    let signer = match (f.signer.trim(), f.title.trim()) {
        ("", "") => Ok(None),
        (n, t) => custos_app::report::Signer::new(n, t).map(Some),
    };
    let annual = match (f.kind.as_str(), signer) {
        ("initial", Ok(s)) => (false, s),
        ("annual", Ok(s)) => (true, s),
        (_, r) => {
            let (status, text) =
                explain(&r.err().unwrap_or_else(|| {
                    custos_app::Error::invalid("kind", "choose initial or annual")
                }));
            return compliance_page(
                &st,
                &p,
                status,
                vec![Notice::refused(text, "filing", &body)],
            )
            .await;
        }
    };
    let (annual, signer) = annual;
    match st.app.file_certification(annual, signer, &p.actor()).await {
        Ok(_) => Ok(Redirect::to("/console/compliance?done=filed").into_response()),
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            let (status, text) = explain(&e);
            compliance_page(
                &st,
                &p,
                status,
                vec![Notice::refused(text, "filing", &body)],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub record: Option<String>,
    pub purpose: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub record: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    f: Frame,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    chain_ok: bool,
    chain: String,
    next: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub async fn audit(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadAudit)?;
    let mut notices = vec![];
    let bound = |field: &str, v: &Option<String>, end: bool| match given(v) {
        None => Ok(None),
        Some(d) => day(field, &d).map(|d| {
            d.and_then(|d| if end { d.succ_opt() } else { Some(d) })
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        }),
    };
    let (from, to) = match (bound("from", &q.from, false), bound("to", &q.to, true)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            notices.push(Notice::error(explain(&e).1));
            (None, None)
        }
    };
    // A search with a wrong bound shows nothing rather than everything.
    let searchable = notices.is_empty();
    let filter = custos_app::browse::AuditFilter {
        actor: given(&q.actor),
        record: given(&q.record),
        purpose: given(&q.purpose),
        action: given(&q.action),
        from,
        to,
    };
    let pg = if searchable {
        crate::view::page_or_notice(
            st.app.search_audit(&filter, q.after.as_deref(), 100).await,
            &mut notices,
        )?
    } else {
        custos_app::browse::Page {
            data: vec![],
            has_more: false,
            next_cursor: None,
        }
    };
    let chain = st.app.audit_chain().await?;
    let rows = pg
        .data
        .iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: time(r.entry.at),
            actor: r.entry.actor.clone(),
            role: r.entry.role.clone(),
            action: r.entry.action.replace('_', " "),
            record: r.entry.record.clone(),
            purpose: r.entry.purpose.clone().unwrap_or_default(),
        })
        .collect();
    let next = pg.next_cursor.map(|c| {
        let mut parts = vec![];
        for (k, v) in [
            ("actor", &q.actor),
            ("record", &q.record),
            ("purpose", &q.purpose),
            ("action", &q.action),
            ("from", &q.from),
            ("to", &q.to),
        ] {
            if let Some(v) = given(v) {
                parts.push(format!("{k}={}", encode(&v)));
            }
        }
        parts.push(format!("after={}", encode(&c)));
        format!("/console/audit?{}", parts.join("&"))
    });
    let (chain_ok, chain) = match chain.broken_at {
        None => (
            true,
            format!(
                "The trail's hash chain holds over all {} entries; its last {} are mirrored in the ledger's signed audit log.",
                chain.entries, chain.mirrored
            ),
        ),
        Some(seq) => (
            false,
            format!("The trail's hash chain is broken at entry {seq}: tell the operator at once."),
        ),
    };
    Ok(page(
        StatusCode::OK,
        Audit {
            f: Frame::new("Audit trail", &p, "/console/audit").with(notices),
            q,
            rows,
            chain_ok,
            chain,
            next,
        },
    ))
}
