//! Sharing with peers in the console: the TAXII collections (and a new one), what is pulled
//! from peers, the keyed sets taken in; the incidents (recorded from a form, reported, their
//! sheet and their STIX shared into a collection); and an abuse case shared from its page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::keys::Permission;
use custos_app::sharing::incident::{NewIncident, PointOfContact, Reported};
use custos_app::sharing::stix::Tlp;
use custos_app::sharing::{NewCollection, ShareCase};
use serde::Deserialize;

use crate::Console;
use crate::records::allowed;
use crate::session::{Person, form};
use crate::view::{
    Failure, Frame, Notice, explain, name, page, status_of, time, time_or_dash, word,
};

/// A refusal the page says inline (the rest are failures).
fn inline(e: custos_app::Error) -> Result<String, Failure> {
    match e {
        e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_)) => {
            Ok(explain(&e).1)
        }
        e => Err(e.into()),
    }
}

/// The TLP levels, as a form offers them.
pub const TLPS: [(&str, &str); 5] = [
    ("clear", "TLP:CLEAR: no limit"),
    ("green", "TLP:GREEN: the community"),
    ("amber", "TLP:AMBER: their organisation and its clients"),
    ("amber_strict", "TLP:AMBER+STRICT: their organisation only"),
    ("red", "TLP:RED: the people it is given to"),
];

#[derive(Debug)]
pub struct CollectionRow {
    pub id: String,
    pub title: String,
    pub readers: String,
    pub writers: String,
    pub created: String,
}

#[derive(Debug)]
pub struct SourceRow {
    pub from: String,
    pub collection: String,
    pub local: String,
    pub last: String,
    pub taken: u64,
}

#[derive(Debug)]
pub struct SetRow {
    pub id: String,
    pub publisher: String,
    pub key: String,
    pub entries: usize,
    pub matched: usize,
    pub taken_in: String,
}

#[derive(Template)]
#[template(path = "sharing.html")]
struct SharingPage {
    f: Frame,
    collections: Vec<CollectionRow>,
    sources: Vec<SourceRow>,
    sets: Vec<SetRow>,
    keys: Vec<(String, String)>,
    can_share: bool,
}

pub async fn sharing(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    sharing_page(&st, &p, vec![]).await
}

async fn sharing_page(st: &Console, p: &Person, notices: Vec<Notice>) -> Result<Response, Failure> {
    allowed(p, Permission::ReadCompliance)?;
    let can_share = p.caller.require(Permission::Share).is_ok();
    let collections = st
        .app
        .collections()
        .await?
        .into_iter()
        .map(|c| CollectionRow {
            id: c.id,
            title: c.title,
            readers: if c.readers.iter().any(|r| r == "*") {
                "every peer".into()
            } else if c.readers.is_empty() {
                "no peer".into()
            } else {
                c.readers.join(", ")
            },
            writers: if c.writers.is_empty() {
                "-".into()
            } else {
                c.writers.join(", ")
            },
            created: time(c.created_at),
        })
        .collect();
    let sources = st
        .app
        .pull_sources()
        .await?
        .into_iter()
        .map(|s| SourceRow {
            from: s.from,
            collection: s.collection,
            local: s.local_collection,
            last: time_or_dash(s.last_pull_at),
            taken: s.objects_taken,
        })
        .collect();
    let sets = st
        .app
        .keyed_sets()
        .await?
        .into_iter()
        .map(|s| SetRow {
            id: s.id,
            publisher: s.publisher,
            key: s.key_id,
            entries: s.entries,
            matched: s.matched_customers,
            taken_in: time(s.imported_at),
        })
        .collect();
    let keys = if can_share {
        st.app
            .trust_keys(&p.caller)
            .await?
            .into_iter()
            .map(|(k, at)| (k, time(at)))
            .collect()
    } else {
        vec![]
    };
    Ok(page(
        status_of(&notices),
        SharingPage {
            f: Frame::new("Sharing", p, "/console/sharing").with(notices),
            collections,
            sources,
            sets,
            keys,
            can_share,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct CollectionForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    readers: String,
    #[serde(default)]
    writers: String,
}

fn keys_of(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A new collection, from the form.
pub async fn add_collection(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: CollectionForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Share)?;
    let n = NewCollection {
        title: f.title.clone(),
        description: Some(f.description.trim().to_owned()).filter(|d| !d.is_empty()),
        readers: keys_of(&f.readers),
        writers: keys_of(&f.writers),
    };
    match st.app.create_collection(&p.caller, n).await {
        Ok(c) => {
            let done = Notice::done(format!(
                "Collection {} made: peers reach it at /taxii2/api/collections/{}/.",
                c.title, c.id
            ));
            sharing_page(&st, &p, vec![done]).await
        }
        Err(e) => {
            let refused = Notice::refused(inline(e)?, "collection", &body);
            sharing_page(&st, &p, vec![refused]).await
        }
    }
}

#[derive(Debug)]
pub struct IncidentRow {
    pub id: String,
    pub activity: String,
    pub severity: String,
    pub detected: String,
    pub due: String,
    pub overdue: bool,
    pub reported: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    f: Frame,
    rows: Vec<IncidentRow>,
    can_record: bool,
    activities: Vec<String>,
    severities: Vec<String>,
}

pub async fn incidents(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    incidents_page(&st, &p, vec![]).await
}

async fn incidents_page(
    st: &Console,
    p: &Person,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    allowed(p, Permission::ReadCompliance)?;
    let now = st.app.now();
    let rows = st
        .app
        .incidents(&p.caller)
        .await?
        .into_iter()
        .map(|i| IncidentRow {
            overdue: i.reported_at.is_none() && i.due_at.is_some_and(|d| d <= now),
            id: i.id,
            activity: name(&i.activity).replace('_', " "),
            severity: name(&i.severity),
            detected: time(i.detected_at),
            due: time_or_dash(i.due_at),
            reported: time_or_dash(i.reported_at),
        })
        .collect();
    use custos_app::sharing::incident::{IncidentActivity as A, Severity as S};
    Ok(page(
        status_of(&notices),
        IncidentsPage {
            f: Frame::new("Incidents", p, "/console/incidents").with(notices),
            rows,
            can_record: p.caller.require(Permission::Share).is_ok(),
            activities: [
                A::UnauthorizedAccess,
                A::InfrastructureAbuse,
                A::DenialOfService,
                A::Malware,
                A::Ransomware,
                A::Phishing,
                A::DataExfiltration,
                A::SupplyChain,
                A::Other,
            ]
            .iter()
            .map(name)
            .collect(),
            severities: [S::Low, S::Medium, S::High, S::Critical]
                .iter()
                .map(name)
                .collect(),
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct IncidentForm {
    csrf: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    detected_at: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    activity: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    systems_affected: String,
    #[serde(default)]
    accounts_affected: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    told: String,
    #[serde(default)]
    abuse_cases: String,
    #[serde(default)]
    not_covered: Option<String>,
}

/// A time a form sent: RFC 3339, or `YYYY-MM-DDTHH:MM` as a browser's datetime field sends
/// it (read as UTC).
fn when(field: &str, v: &str) -> Result<chrono::DateTime<chrono::Utc>, custos_app::Error> {
    let v = v.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| custos_app::Error::invalid(field, "is not a time (YYYY-MM-DDTHH:MM, UTC)"))
}

fn count(field: &str, v: &str) -> Result<u32, custos_app::Error> {
    v.trim()
        .parse()
        .map_err(|_| custos_app::Error::invalid(field, "is a whole number"))
}

/// An incident recorded from the form; a field wrong is said inline, what was typed kept.
pub async fn record(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: IncidentForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Share)?;
    let r = async {
        let n = NewIncident {
            occurred_at: when("occurred_at", &f.occurred_at)?,
            detected_at: if f.detected_at.trim().is_empty() {
                None
            } else {
                Some(when("detected_at", &f.detected_at)?)
            },
            location: f.location.clone(),
            activity: word("activity", &f.activity, "choose one")?,
            narrative: f.narrative.clone(),
            systems_affected: count("systems_affected", &f.systems_affected)?,
            accounts_affected: count("accounts_affected", &f.accounts_affected)?,
            organisation: f.organisation.clone(),
            contact: PointOfContact {
                name: f.contact_name.clone(),
                email: f.contact_email.clone(),
                phone: Some(f.contact_phone.trim().to_owned()).filter(|x| !x.is_empty()),
            },
            severity: word("severity", &f.severity, "choose one")?,
            sector: f.sector.clone(),
            told: f
                .told
                .split(['\n', ';'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            covered: f.not_covered.is_none(),
            abuse_cases: keys_of(&f.abuse_cases),
        };
        st.app.record_incident(&p.caller, n).await
    }
    .await;
    match r {
        Ok(i) => {
            Ok(Redirect::to(&format!("/console/incidents/{}?done=recorded", i.id)).into_response())
        }
        Err(e) => {
            let refused = Notice::refused(inline(e)?, "incident", &body);
            incidents_page(&st, &p, vec![refused]).await
        }
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    f: Frame,
    id: String,
    lines: Vec<(u8, String)>,
    reported: bool,
    overdue: bool,
    can_share: bool,
    collections: Vec<(String, String)>,
    tlps: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

pub async fn incident(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, Failure> {
    let notice = match d.done.as_deref() {
        Some("recorded") => Some(Notice::done(
            "Recorded: a covered incident's report is due within the hours the policy sets, in the deadlines.",
        )),
        Some("reported") => Some(Notice::done("Reported: its clock has stopped.")),
        Some("shared") => Some(Notice::done(
            "Shared: peers who read the collection see it.",
        )),
        _ => None,
    };
    incident_page(&st, &p, &id, notice.into_iter().collect()).await
}

async fn incident_page(
    st: &Console,
    p: &Person,
    id: &str,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    allowed(p, Permission::ReadCompliance)?;
    let i = st.app.incident(&p.caller, id).await?;
    let lines = st.app.incident_sheet(&p.caller, id).await?;
    let can_share = p.caller.require(Permission::Share).is_ok();
    Ok(page(
        status_of(&notices),
        IncidentPage {
            f: Frame::new(format!("Incident {id}"), p, "").with(notices),
            id: id.to_owned(),
            // The sheet's own title is the page's.
            lines: lines.into_iter().skip(1).collect(),
            reported: i.reported_at.is_some(),
            overdue: i.reported_at.is_none() && i.due_at.is_some_and(|d| d <= st.app.now()),
            can_share,
            collections: st
                .app
                .collections()
                .await?
                .into_iter()
                .map(|c| (c.id, c.title))
                .collect(),
            tlps: TLPS.to_vec(),
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ReportedForm {
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reference: String,
}

pub async fn reported(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: ReportedForm = form(&body)?;
    p.check(&f.csrf)?;
    allowed(&p, Permission::Share)?;
    let r = Reported {
        // Agencies' names hold spaces (`FBI IC3`): commas or lines part them.
        to: f
            .to
            .split([',', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        reference: Some(f.reference.trim().to_owned()).filter(|x| !x.is_empty()),
    };
    match st.app.incident_reported(&p.caller, &id, r).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/incidents/{id}?done=reported")).into_response())
        }
        Err(e) => {
            let refused = Notice::refused(inline(e)?, "reported", &body);
            incident_page(&st, &p, &id, vec![refused]).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShareForm {
    csrf: String,
    #[serde(default)]
    collection: String,
    #[serde(default)]
    tlp: String,
    /// With the account's access addresses (a case closed for abuse; four eyes).
    #[serde(default)]
    addresses: Option<String>,
    /// With the SSH keys the account used (the same, four eyes).
    #[serde(default)]
    ssh_keys: Option<String>,
    #[serde(default)]
    note: String,
}

impl ShareForm {
    /// The form sent, from a person who may share (its CSRF token checked).
    fn read(p: &Person, body: &Bytes) -> Result<ShareForm, Failure> {
        let f: ShareForm = form(body)?;
        p.check(&f.csrf)?;
        allowed(p, Permission::Share)?;
        Ok(f)
    }

    fn share(&self) -> Result<ShareCase, custos_app::Error> {
        Ok(ShareCase {
            collection: self.collection.clone(),
            tlp: Some(word::<Tlp>("tlp", &self.tlp, "choose a TLP level")?),
            include_access_addresses: self.addresses.is_some(),
            include_ssh_keys: self.ssh_keys.is_some(),
            note: Some(self.note.trim().to_owned()).filter(|n| !n.is_empty()),
        })
    }
}

pub async fn share_incident(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f = ShareForm::read(&p, &body)?;
    let r = async { st.app.share_incident(&p.caller, &id, f.share()?).await }.await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/console/incidents/{id}?done=shared")).into_response()),
        Err(e) => {
            let refused = Notice::refused(inline(e)?, "share", &body);
            incident_page(&st, &p, &id, vec![refused]).await
        }
    }
}

/// An abuse case shared from its page.
pub async fn share_case(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f = ShareForm::read(&p, &body)?;
    let r = async { st.app.share_abuse_case(&p.caller, &id, f.share()?).await }.await;
    match r {
        Ok(d) => {
            let done = if d.is_waiting() { "waiting" } else { "shared" };
            Ok(Redirect::to(&format!("/console/abuse/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let refused = Notice::refused(inline(e)?, "share", &body);
            crate::abuse::case_with(&st, &p, &id, vec![refused]).await
        }
    }
}

/// The incident's sheet: HTML to read and paste, or the PDF.
pub async fn sheet(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    allowed(&p, Permission::ReadCompliance)?;
    let html = st.app.incident_sheet_html(&p.caller, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

pub async fn sheet_pdf(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    allowed(&p, Permission::ReadCompliance)?;
    let pdf = st.app.incident_sheet_pdf(&p.caller, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"incident-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
