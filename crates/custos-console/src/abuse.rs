//! Abuse: the cases abuse reports and red flags open (their list, a report taken from the
//! abuse desk, one case with its evidence for a purpose and its actions, four eyes where the
//! application asks for them), a customer's linked group, and the reference lists the red
//! flags read.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use custos_app::abuse::AbuseReport;
use custos_app::keys::Permission;
use custos_core::abuse::{AbuseCase, Action, CaseState, Category};
use serde::Deserialize;

use crate::Console;
use crate::records::{PurposeForm, allowed, purpose_of};
use crate::session::{Person, form};
use crate::view::{Failure, Frame, Notice, explain, name, page, rows, status_of, time, tone, word};

/// Every action, in the order the form offers them.
const ACTIONS: [(Action, &str); 6] = [
    (
        Action::Suspend,
        "Suspend the account (until lifted or the case is dismissed)",
    ),
    (Action::Lift, "Lift the suspension"),
    (
        Action::Preserve,
        "Preserve the customer's records (a legal hold)",
    ),
    (
        Action::CloseForAbuse,
        "Close the account for abuse (a second person approves it)",
    ),
    (
        Action::Clear,
        "Clear the red flags: they are harmless (at refuse, a second person approves it)",
    ),
    (
        Action::Dismiss,
        "Dismiss the case: no abuse, or not this account's",
    ),
];

const CATEGORIES: [Category; 8] = [
    Category::Scanning,
    Category::Phishing,
    Category::MalwareC2,
    Category::Ddos,
    Category::Spam,
    Category::Fraud,
    Category::CryptoMining,
    Category::Other,
];

/// What an error the person can correct says inline; any other is the page's failure.
fn inline(e: custos_app::Error) -> Result<Notice, Failure> {
    match e {
        e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_)) => {
            Ok(Notice::error(explain(&e).1))
        }
        e => Err(e.into()),
    }
}

#[derive(Debug)]
pub struct CaseRow {
    pub id: String,
    pub kind: String,
    pub category: String,
    pub account: String,
    pub customer: String,
    pub opened: String,
    pub due: String,
    pub overdue: bool,
    pub state: String,
    pub state_class: &'static str,
    pub suspended: bool,
}

fn row(c: &AbuseCase, now: DateTime<Utc>) -> CaseRow {
    let state = name(&c.state);
    CaseRow {
        id: c.id.clone(),
        kind: name(&c.kind).replace('_', " "),
        category: name(&c.category).replace('_', " "),
        account: c
            .account_id
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        customer: c
            .customer_id
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        opened: time(c.opened_at),
        due: if c.handled_at.is_some() || c.state == CaseState::Closed {
            "handled".into()
        } else {
            time(c.due_at)
        },
        overdue: c.handled_at.is_none() && c.state == CaseState::Open && c.due_at < now,
        state_class: if c.state == CaseState::Open {
            "warn"
        } else {
            tone("closed")
        },
        state,
        suspended: c.suspended,
    }
}

#[derive(Template)]
#[template(path = "abuse_cases.html")]
struct CasesPage {
    f: Frame,
    rows: Vec<CaseRow>,
    state: String,
    can_report: bool,
    categories: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn cases(
    State(st): State<Console>,
    p: Person,
    Query(q): Query<CasesQuery>,
) -> Result<Response, Failure> {
    let done = (q.done.as_deref() == Some("traced"))
        .then(|| Notice::done("The report is traced to several accounts: a case is open on each."));
    cases_page(
        &st,
        &p,
        q.state.as_deref().unwrap_or("open"),
        done.into_iter().collect(),
    )
    .await
}

async fn cases_page(
    st: &Console,
    p: &Person,
    state: &str,
    mut notices: Vec<Notice>,
) -> Result<Response, Failure> {
    allowed(p, Permission::ReadCases)?;
    let filter = match state {
        "open" => Some(CaseState::Open),
        "closed" => Some(CaseState::Closed),
        "all" => None,
        other => {
            notices.push(Notice::error(format!(
                "`{other}` is not a state: open, closed or all. Showing the open cases."
            )));
            Some(CaseState::Open)
        }
    };
    let now = st.app.now();
    let rows = st
        .app
        .abuse_cases(filter)
        .await?
        .iter()
        .map(|c| row(c, now))
        .collect();
    Ok(page(
        status_of(&notices),
        CasesPage {
            f: Frame::new("Abuse cases", p, "/console/abuse").with(notices),
            rows,
            state: filter.map_or("all".into(), |s| name(&s)),
            can_report: p.caller.require(Permission::ReportAbuse).is_ok(),
            categories: CATEGORIES.iter().map(name).collect(),
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ReportForm {
    csrf: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    references: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    wallets: String,
}

/// The values of a field typed as a list: separated by commas, spaces or lines.
fn words(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A time typed in a form: RFC 3339, or the browser's `YYYY-MM-DDTHH:MM[:SS]`, read as UTC.
fn when(s: &str) -> Result<Option<DateTime<Utc>>, custos_app::Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(custos_app::Error::invalid(
        "at",
        "is not a time: YYYY-MM-DDTHH:MM (UTC), or RFC 3339",
    ))
}

/// A report from the abuse desk: traced, and to the case it opened (or the list, with what
/// came of it).
pub async fn report(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ReportForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::ReportAbuse)?;
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let r = async {
        let category: Category = word("category", &f.category, "choose one")?;
        let report = AbuseReport {
            ip: opt(&f.ip),
            at: when(&f.at)?,
            account_id: opt(&f.account),
            category,
            evidence: f.evidence.clone(),
            references: f
                .references
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            domains: words(&f.domains),
            wallets: words(&f.wallets),
        };
        st.app.report_abuse(&p.caller, report).await
    }
    .await;
    match r {
        Ok(r) => {
            let done = if r.matched { "reported" } else { "unmatched" };
            match &r.cases[..] {
                [one] => Ok(
                    Redirect::to(&format!("/console/abuse/{}?done={done}", one.id)).into_response(),
                ),
                // Several: to the list (a reload does not send the report again).
                _ => Ok(Redirect::to("/console/abuse?done=traced").into_response()),
            }
        }
        Err(e) => {
            let n = inline(e)?;
            let refused = Notice::refused(n.text, "report", &body);
            cases_page(&st, &p, "open", vec![refused]).await
        }
    }
}

#[derive(Debug)]
pub struct TakenRow {
    pub action: String,
    pub by: String,
    pub at: String,
    pub noted: bool,
}

#[derive(Template)]
#[template(path = "abuse_case.html")]
struct CasePage {
    f: Frame,
    c: CaseRow,
    report_id: String,
    reported_by: String,
    occurred: String,
    linked_to: String,
    closed: String,
    taken: Vec<TakenRow>,
    /// Decisions on the case waiting for a second person.
    waiting: Vec<String>,
    has_evidence: bool,
    can_reveal: bool,
    actions: Vec<(String, &'static str)>,
    revealed: Option<Vec<(String, String)>>,
    purpose: String,
    /// Whether the case may be shared with peers now, and where.
    can_share: bool,
    /// The account was closed for abuse: its access addresses may be shared (four eyes).
    closed_for_abuse: bool,
    collections: Vec<(String, String)>,
    tlps: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn done_notice(d: &Done) -> Option<Notice> {
    Some(Notice::done(match d.done.as_deref()? {
        "reported" => {
            "The report is traced: this case is open on the account that used the address then."
        }
        "unmatched" => {
            "No account used that address then: the report is kept as this unmatched case."
        }
        "acted" => "Done: the case records it, and the account was decided again.",
        "waiting" => "Asked: it waits for a second, different person to approve it.",
        "shared" => {
            "Shared: peers who read the collection see the address, its sighting and the incident."
        }
        _ => return None,
    }))
}

pub async fn case(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, Failure> {
    case_page(&st, &p, &id, done_notice(&d).into_iter().collect(), None).await
}

/// The case's page with notices (a form refused elsewhere).
pub(crate) async fn case_with(
    st: &Console,
    p: &Person,
    id: &str,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    case_page(st, p, id, notices, None).await
}

async fn case_page(
    st: &Console,
    p: &Person,
    id: &str,
    notices: Vec<Notice>,
    revealed: Option<(Vec<(String, String)>, String)>,
) -> Result<Response, Failure> {
    allowed(p, Permission::ReadCases)?;
    let c = st.app.abuse_case(id).await?;
    // A decision on the case that waits for a second person: said, and not offered again.
    let waiting: Vec<custos_app::approvals::ApprovalView> = st
        .app
        .approvals(Some("pending"), None, 1000)
        .await?
        .into_iter()
        .filter(|a| a.target == c.id)
        .collect();
    let asked = |a: Action| {
        waiting.iter().any(|w| {
            (w.kind == "close_for_abuse" && a == Action::CloseForAbuse)
                || (w.kind == "clear_red_flags" && a == Action::Clear)
        })
    };
    let may_act = p.caller.require(Permission::Review).is_ok();
    let actions = ACTIONS
        .iter()
        .filter(|(a, _)| may_act && c.check(*a).is_ok() && !asked(*a))
        .map(|(a, label)| (a.as_str().to_owned(), *label))
        .collect();
    let (revealed, purpose) = revealed.map_or((None, String::new()), |(r, p)| (Some(r), p));
    let can_share = p.caller.require(Permission::Share).is_ok() && c.check(Action::Share).is_ok();
    let collections = if can_share {
        st.app
            .collections()
            .await?
            .into_iter()
            .map(|c| (c.id, c.title))
            .collect()
    } else {
        vec![]
    };
    Ok(page(
        status_of(&notices),
        CasePage {
            f: Frame::new(format!("Abuse case {}", c.id), p, "").with(notices),
            report_id: c.report_id.clone(),
            reported_by: c.reported_by.clone(),
            occurred: time(c.occurred_at),
            linked_to: c.linked_to.clone().unwrap_or_default(),
            closed: c.closed_at.map(time).unwrap_or_default(),
            taken: c
                .actions
                .iter()
                .map(|t| TakenRow {
                    action: t.action.as_str().replace('_', " "),
                    by: t.by.clone(),
                    at: time(t.at),
                    noted: t.note_id.is_some(),
                })
                .collect(),
            has_evidence: c.evidence_id.is_some() || c.actions.iter().any(|t| t.note_id.is_some()),
            waiting: waiting
                .iter()
                .map(|w| {
                    format!(
                        "{}, asked by {} at {}",
                        w.kind.replace('_', " "),
                        w.requested_by,
                        time(w.requested_at)
                    )
                })
                .collect(),
            can_reveal: p.caller.require(Permission::ReadPersonal).is_ok(),
            actions,
            c: row(&c, st.app.now()),
            revealed,
            purpose,
            can_share,
            closed_for_abuse: c.actions.iter().any(|t| t.action == Action::CloseForAbuse),
            collections,
            tlps: crate::sharing::TLPS.to_vec(),
        },
    ))
}

/// The case's sealed evidence and notes, for a purpose (audited before it is read).
pub async fn evidence(
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
    let v = st.app.abuse_evidence(&p.actor(), &purpose, &id).await?;
    case_page(&st, &p, &id, vec![], Some((rows(&v), purpose))).await
}

#[derive(Debug, Deserialize)]
pub struct ActForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

pub async fn act(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ActForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Review)?;
    let r = async {
        let action: Action = word("action", &f.action, "choose one")?;
        let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
        st.app.act_on_abuse_case(&p.caller, &id, action, note).await
    }
    .await;
    match r {
        Ok(d) => {
            let done = if d.is_waiting() { "waiting" } else { "acted" };
            Ok(Redirect::to(&format!("/console/abuse/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let n = inline(e)?;
            let refused = Notice::refused(n.text, "act", &body);
            case_page(&st, &p, &id, vec![refused], None).await
        }
    }
}

/// A customer of a linked group, as a line of the customer's page.
#[derive(Debug)]
pub struct LinkLine {
    pub customer: String,
    pub hops: u32,
    /// The kinds shared with the customers one link nearer (never the values).
    pub kinds: String,
    pub since: String,
}

/// A customer's linked group as lines, nearest first, and what was not followed.
pub fn link_lines(g: &custos_app::links::LinkGroup) -> (Vec<LinkLine>, Vec<String>) {
    let hops = |c: &custos_core::CustomerId| {
        g.members
            .iter()
            .find(|m| &m.customer_id == c)
            .map_or(0, |m| m.hops)
    };
    let lines = g
        .members
        .iter()
        .map(|m| {
            let nearer: Vec<&custos_app::links::Link> = g
                .links
                .iter()
                .filter(|l| {
                    (l.a == m.customer_id && hops(&l.b) < m.hops)
                        || (l.b == m.customer_id && hops(&l.a) < m.hops)
                })
                .collect();
            let mut kinds: Vec<String> = nearer
                .iter()
                .map(|l| match l.kind.as_str() {
                    "ip" => "a connecting address".to_owned(),
                    k => k.replace('_', " "),
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            LinkLine {
                customer: m.customer_id.as_str().to_owned(),
                hops: m.hops,
                kinds: kinds.join(", "),
                since: nearer
                    .iter()
                    .filter_map(|l| l.since)
                    .min()
                    .map(time)
                    .unwrap_or_else(|| "-".into()),
            }
        })
        .collect();
    let mut notes: Vec<String> = g
        .widely_shared
        .iter()
        .map(|w| {
            format!(
                "{} shares {} with more than {} other customers: not followed.",
                w.customer_id,
                match w.kind.as_str() {
                    "ip" => "a connecting address".to_owned(),
                    k => format!("a {}", k.replace('_', " ")),
                },
                g.share_cap
            )
        })
        .collect();
    if !g.complete {
        notes.push(format!(
            "The group is larger than {} customers: it was followed no further.",
            custos_app::links::MAX_GROUP
        ));
    }
    if !g.addresses_followed {
        notes.push("Links through connecting addresses are not shown: no ledger here.".into());
    }
    (lines, notes)
}
