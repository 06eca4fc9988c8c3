//! Legal process in the console (a compliance officer's or an admin's): the requests and
//! recording one (a preservation among them), a request's page (its sealed part, its history,
//! its productions), moving it along, extending a preservation, attaching the served document,
//! producing the package and downloading it. Approval is on the approvals page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::keys::Permission;
use custos_app::legal::{Officer, RequestInput, ScopeInput};
use custos_app::reads::{SearchInput, SearchKind};
use custos_core::legal::{Category, Instrument, RequestState};

use crate::Console;
use crate::session::{Person, encode, fields};
use crate::view::{Failure, Frame, Notice, explain, page, status_of, time, time_or_dash};

#[derive(Debug)]
pub struct RequestRow {
    pub id: String,
    pub state: String,
    pub instrument: String,
    pub agency: String,
    pub case_number: String,
    pub served: String,
    pub due: String,
    pub customers: usize,
}

#[derive(Template)]
#[template(path = "legal.html")]
struct Requests {
    f: Frame,
    rows: Vec<RequestRow>,
    instruments: Vec<(&'static str, &'static str)>,
    categories: Vec<&'static str>,
}

pub async fn requests(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    requests_page(&st, &p, StatusCode::OK, vec![]).await
}

async fn requests_page(
    st: &Console,
    p: &Person,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    let all = st.app.legal_requests(&p.caller).await?;
    let rows = all
        .iter()
        .rev()
        .map(|r| RequestRow {
            id: r.id.clone(),
            state: r.state.as_str().into(),
            instrument: r.instrument.as_str().into(),
            agency: r.agency.clone(),
            case_number: r.case_number.clone(),
            served: time(r.served_at),
            due: r
                .due
                .map(|d| d.to_string())
                .or(r
                    .preserved_until
                    .map(|u| format!("kept until {}", u.date_naive())))
                .unwrap_or_else(|| "-".into()),
            customers: r.customers.len(),
        })
        .collect();
    Ok(page(
        status,
        Requests {
            f: Frame::new("Legal process", &p.s, "/console/legal").with(notices),
            rows,
            instruments: Instrument::ALL
                .iter()
                .map(|i| (i.as_str(), i.title()))
                .collect(),
            categories: Category::ALL.iter().map(|c| c.as_str()).collect(),
        },
    ))
}

/// The words of a list field: one per line, or separated by commas or spaces.
fn words(v: &str) -> Vec<String> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The record form, read by hand: its categories are check boxes.
fn input(body: &[u8]) -> Result<RequestInput, custos_app::Error> {
    use custos_app::Error;
    let all = fields(body);
    let one = |k: &str| {
        all.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let opt = |k: &str| Some(one(k)).filter(|v| !v.is_empty());
    let day = |k: &str| -> Result<Option<chrono::NaiveDate>, Error> {
        opt(k)
            .map(|d| {
                chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| Error::invalid(k, "must be a day, YYYY-MM-DD"))
            })
            .transpose()
    };
    let at = |k: &str, end| -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
        opt(k)
            .map(|t| custos_app::when::parse(&t, end).map_err(|why| Error::invalid(k, why)))
            .transpose()
    };
    let instrument = Instrument::parse(&one("instrument"))
        .ok_or_else(|| Error::invalid("instrument", "choose the legal process served"))?;
    let served_at = at("served_at", custos_app::when::End::Start)?
        .ok_or_else(|| Error::invalid("served_at", "say when it was served"))?;
    let mut identifiers = vec![];
    for w in one("identifiers")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (k, v) = w.split_once(':').ok_or_else(|| {
            Error::invalid(
                "identifiers",
                "write each as KIND:VALUE, e.g. email:a@example.com",
            )
        })?;
        let kind: SearchKind = crate::view::word(
            "identifiers",
            k,
            "a kind is email, phone, national_id, card, iban or wallet",
        )?;
        identifiers.push(SearchInput {
            kind,
            value: v.trim().to_owned(),
        });
    }
    let categories = all
        .iter()
        .filter(|(k, _)| k == "categories")
        .map(|(_, v)| {
            Category::parse(v).ok_or_else(|| Error::invalid("categories", "is not a category"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let officer = opt("officer_name").map(|name| Officer {
        name,
        email: opt("officer_email"),
        phone: opt("officer_phone"),
    });
    Ok(RequestInput {
        agency: one("agency"),
        case_number: one("case_number"),
        instrument,
        court: opt("court"),
        served_at,
        served_how: opt("served_how"),
        due: day("due")?,
        ndo_expires: day("ndo_expires")?,
        officer,
        contact_verified: opt("contact_verified"),
        justification: opt("justification"),
        scope: ScopeInput {
            accounts: words(&one("accounts")),
            customers: words(&one("customers")),
            identifiers,
            ips: words(&one("ips")),
            from: at("from", custos_app::when::End::Start)?,
            to: at("to", custos_app::when::End::End)?,
            categories,
        },
    })
}

/// A form refused: what was wrong, said beside what was typed.
fn refused(e: custos_app::Error) -> Result<(StatusCode, String), Failure> {
    match e {
        e @ (custos_app::Error::Validation { .. }
        | custos_app::Error::Conflict(_)
        | custos_app::Error::NotFound(_)
        | custos_app::Error::Forbidden(_)
        | custos_app::Error::Destroyed(_)
        | custos_app::Error::TooLarge(_)) => {
            let (status, text) = explain(&e);
            let status = if status == StatusCode::NOT_FOUND {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            Ok((status, text))
        }
        e => Err(e.into()),
    }
}

pub async fn record(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: crate::session::CsrfOnly = crate::session::form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::LegalHold)?;
    let r = match input(&body) {
        Ok(i) => st.app.add_legal_request(&p.caller, i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(v) => Ok(Redirect::to(&format!(
            "/console/legal/{}?done=recorded",
            encode(&v.request.id)
        ))
        .into_response()),
        Err(e) => {
            let (status, text) = refused(e)?;
            requests_page(
                &st,
                &p,
                status,
                vec![Notice::refused(text, "record", &body)],
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "legal_request.html")]
struct RequestPage {
    f: Frame,
    id: String,
    state: String,
    final_state: bool,
    facts: Vec<(&'static str, String)>,
    sealed: Vec<(String, String)>,
    history: Vec<(String, String, String, String)>,
    productions: Vec<ProductionRow>,
    approval: Option<String>,
    waiting: bool,
    producible: bool,
    extendable: bool,
    document: Option<String>,
}

#[derive(Debug)]
pub struct ProductionRow {
    pub id: String,
    pub at: String,
    pub by: String,
    pub recipient: String,
    pub events: u64,
    pub manifest: String,
    pub kept: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn request(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Failure> {
    let notice = match q.done.as_deref() {
        Some("recorded") => Some(Notice::done(
            "The request is recorded. Unless it is a preservation, a second person approves \
             its production on the approvals page.",
        )),
        Some("produced") => Some(Notice::done(
            "The package is produced and recorded as a disclosure: download it below; the \
             custodian signs its declaration.",
        )),
        Some("extended") => Some(Notice::done("The preservation is extended, once.")),
        Some("attached") => Some(Notice::done("The served document is attached.")),
        Some("moved") => Some(Notice::done("The request is moved along.")),
        _ => None,
    };
    request_page(&st, &p, &id, StatusCode::OK, notice.into_iter().collect()).await
}

async fn request_page(
    st: &Console,
    p: &Person,
    id: &str,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    let v = st.app.legal_request(&p.caller, id).await?;
    let r = &v.request;
    let now = st.app.now();
    let join = |v: Vec<String>| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    let mut facts = vec![
        ("Agency", r.agency.clone()),
        ("Case number", r.case_number.clone()),
        ("Legal process", r.instrument.title().to_owned()),
        (
            "Issuing court",
            r.court.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Served",
            format!(
                "{}{}",
                time(r.served_at),
                r.served_how
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            ),
        ),
        (
            "Due",
            r.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        ),
        (
            "Non-disclosure order",
            match r.ndo_expires {
                Some(d) if r.ndo_in_force(now) => {
                    format!("in force until {d}: nothing about it reaches the customer")
                }
                Some(d) => format!("expired {d}"),
                None => "none".into(),
            },
        ),
        (
            "Accounts",
            join(r.accounts.iter().map(|a| a.as_str().to_owned()).collect()),
        ),
        (
            "Customers",
            join(r.customers.iter().map(|c| c.as_str().to_owned()).collect()),
        ),
        (
            "Time range",
            format!("{} to {}", time_or_dash(r.from), time_or_dash(r.to)),
        ),
        (
            "Categories",
            join(r.categories.iter().map(|c| c.as_str().to_owned()).collect()),
        ),
    ];
    if let Some(u) = r.preserved_until {
        facts.push((
            "Preserved until",
            format!(
                "{}{}",
                time(u),
                if r.preservation_extended {
                    " (extended once)"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut sealed = vec![];
    if let Some(o) = &v.sealed.officer {
        sealed.push(("Officer".into(), o.name.clone()));
        if let Some(e) = &o.email {
            sealed.push(("Officer's email".into(), e.clone()));
        }
        if let Some(ph) = &o.phone {
            sealed.push(("Officer's phone".into(), ph.clone()));
        }
    }
    if let Some(c) = &v.sealed.contact_verified {
        sealed.push(("Contact verified".into(), c.clone()));
    }
    if let Some(j) = &v.sealed.justification {
        sealed.push(("Emergency justification".into(), j.clone()));
    }
    for custos_app::legal::Named {
        kind: k,
        value: val,
    } in &v.sealed.identifiers
    {
        sealed.push((format!("Identifier ({k})"), val.clone()));
    }
    for ip in &v.sealed.ips {
        sealed.push(("Events from".into(), ip.clone()));
    }
    let waiting = matches!(r.state, RequestState::Received | RequestState::InReview)
        && r.approval_id.is_some();
    Ok(page(
        status,
        RequestPage {
            f: Frame::new(
                format!("Legal request {}", r.case_number),
                &p.s,
                "/console/legal",
            )
            .with(notices),
            id: r.id.clone(),
            state: r.state.as_str().into(),
            final_state: r.state.is_final(),
            facts,
            sealed,
            history: r
                .history
                .iter()
                .map(|s| {
                    (
                        time(s.at),
                        s.state.as_str().to_owned(),
                        s.by.clone(),
                        s.note.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            productions: r
                .productions
                .iter()
                .map(|x| ProductionRow {
                    id: x.id.clone(),
                    at: time(x.produced_at),
                    by: x.produced_by.clone(),
                    recipient: x.recipient.clone(),
                    events: x.events,
                    manifest: x.manifest_sha256.clone(),
                    kept: x.document_id.is_some(),
                })
                .collect(),
            approval: r.approval_id.clone(),
            waiting,
            producible: matches!(
                r.state,
                RequestState::Approved | RequestState::Produced | RequestState::PartiallyProduced
            ),
            extendable: r.instrument == Instrument::Preservation
                && !r.preservation_extended
                && r.preserved_until.is_some_and(|u| u > now)
                && !r.state.is_final(),
            document: r
                .document
                .as_ref()
                .map(|d| format!("{} ({} bytes, SHA-256 {})", d.file_name, d.size, d.sha256)),
        },
    ))
}

/// After a form on a request's page: back to it, saying what was done or what was wrong.
async fn after(
    st: &Console,
    p: &Person,
    id: &str,
    r: Result<&str, custos_app::Error>,
    (form, body): (&'static str, &[u8]),
) -> Result<Response, Failure> {
    match r {
        Ok(done) => {
            Ok(Redirect::to(&format!("/console/legal/{}?done={done}", encode(id))).into_response())
        }
        Err(e) => {
            let (status, text) = refused(e)?;
            let notices = vec![Notice::refused(text, form, body)];
            debug_assert_eq!(status_of(&notices), StatusCode::UNPROCESSABLE_ENTITY);
            request_page(st, p, id, status, notices).await
        }
    }
}

/// The forms of a request's page: a note, a recipient, a state to move to.
#[derive(Debug, serde::Deserialize)]
pub struct NoteForm {
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    recipient: String,
}

/// A request page's form read, its CSRF token and the person's power checked.
fn note_form(p: &Person, body: &Bytes) -> Result<NoteForm, Failure> {
    let f: NoteForm = crate::session::form(body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::LegalHold)?;
    Ok(f)
}

/// A field left empty is none.
fn given(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|n| !n.is_empty())
}

pub async fn state(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f = note_form(&p, &body)?;
    let to = match f.state.as_str() {
        "in_review" => Ok(RequestState::InReview),
        "rejected" => Ok(RequestState::Rejected),
        "withdrawn" => Ok(RequestState::Withdrawn),
        _ => Err(custos_app::Error::invalid(
            "state",
            "choose in review, rejected or withdrawn",
        )),
    };
    let r = match to {
        Ok(to) => st
            .app
            .set_legal_state(&p.caller, &id, to, given(&f.note))
            .await
            .map(|_| "moved"),
        Err(e) => Err(e),
    };
    after(&st, &p, &id, r, ("state", &body)).await
}

pub async fn extend(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f = note_form(&p, &body)?;
    let r = st
        .app
        .extend_preservation(&p.caller, &id, given(&f.note))
        .await
        .map(|_| "extended");
    after(&st, &p, &id, r, ("extend", &body)).await
}

pub async fn produce(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f = note_form(&p, &body)?;
    let r = st
        .app
        .produce_legal_kept(&p.caller, &id, given(&f.recipient))
        .await
        .map(|_| "produced");
    after(&st, &p, &id, r, ("produce", &body)).await
}

pub async fn download(
    State(st): State<Console>,
    p: Person,
    Path((id, production)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (name, bytes) = st.app.legal_production(&p.caller, &id, &production).await?;
    Ok(attachment("application/zip", &name, bytes))
}

pub async fn served(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let (m, bytes) = st.app.served_document(&p.caller, &id).await?;
    Ok(attachment(&m.media_type, &m.file_name, bytes))
}

fn attachment(media: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    name.replace(
                        |c: char| !c.is_ascii_graphic() || c == '"' || c == '\\',
                        "_"
                    )
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The served document, uploaded.
pub async fn attach(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    mut m: axum::extract::Multipart,
) -> Result<Response, Failure> {
    p.caller.require(Permission::LegalHold)?;
    let bad =
        |_| custos_app::Error::Malformed("the upload could not be read: send it again".into());
    let (mut csrf, mut file, mut name, mut media) = (String::new(), None, String::new(), None);
    while let Some(field) = m.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                name = field.file_name().unwrap_or_default().to_owned();
                media = field.content_type().map(str::to_owned);
                file = Some(field.bytes().await.map_err(bad)?.to_vec());
            }
            "csrf" => csrf = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    p.check(&csrf)?;
    let r = st
        .app
        .attach_served_document(
            &p.caller,
            &id,
            &name,
            media.as_deref().unwrap_or("application/octet-stream"),
            &file.unwrap_or_default(),
        )
        .await
        .map(|_| "attached");
    after(&st, &p, &id, r, ("attach", b"")).await
}
