//! Incident reports: a cyber incident recorded with the fields CISA's reporting form asks for
//! (when, where, what kind of activity, a narrative, how many systems and accounts, the
//! organisation, a point of contact, severity, sector, who else was told), its clock in the
//! deadlines calendar (`compliance.incident_report_hours`, 72 under the proposed CIRCIA rule,
//! from when the provider came to believe it occurred), and its exports: a STIX 2.1 bundle (the
//! Incident with the core extension, with the indicators and sightings of the abuse cases it
//! names) and a filled sheet (HTML or PDF) to paste into the CISA and FBI IC3 forms.
//!
//! The record's clear part holds the workflow (kind, severity, times, state); the report
//! itself (the narrative and the point of contact) is sealed, and reading it is audited.

use chrono::{DateTime, Duration, Utc};
use custos_store::{ComplianceRecord, DocumentMeta};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::stix::{self, Tlp};
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{App, new_id};

/// The kind of compliance record an incident is kept as.
pub const INCIDENT_KIND: &str = "incident_report";
const REPORT_DOC: &str = "incident_report";

/// What kind of activity an incident was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentActivity {
    Ransomware,
    DenialOfService,
    UnauthorizedAccess,
    Malware,
    Phishing,
    DataExfiltration,
    /// The provider's infrastructure used by a customer to attack others.
    InfrastructureAbuse,
    SupplyChain,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Who to call about the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointOfContact {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// An incident to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// When it began (as far as known).
    pub occurred_at: DateTime<Utc>,
    /// When the provider came to believe it occurred: the reporting clock runs from here
    /// (now, unless said).
    #[serde(default)]
    pub detected_at: Option<DateTime<Utc>>,
    /// Where: the systems, services, regions or data centres.
    pub location: String,
    pub activity: IncidentActivity,
    /// What happened, what was done, what is known of who did it.
    pub narrative: String,
    pub systems_affected: u32,
    pub accounts_affected: u32,
    /// The reporting organisation.
    pub organisation: String,
    pub contact: PointOfContact,
    pub severity: Severity,
    /// The critical-infrastructure sector (`information technology`, say).
    pub sector: String,
    /// Who else was told (a state CERT, the FBI field office, customers…).
    #[serde(default)]
    pub told: Vec<String>,
    /// Whether it is a covered cyber incident (the reporting clock applies); yes unless said.
    #[serde(default = "yes")]
    pub covered: bool,
    /// Abuse cases it involves: their indicators and sightings go in the STIX bundle.
    #[serde(default)]
    pub abuse_cases: Vec<String>,
}

fn yes() -> bool {
    true
}

/// An incident: the workflow in clear, the report (when read) beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    pub id: String,
    pub activity: IncidentActivity,
    pub severity: Severity,
    pub covered: bool,
    pub occurred_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    /// When the report is due (covered incidents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// When it was reported, to whom, with the reference they gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reported_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub abuse_cases: Vec<String>,
    /// The id its STIX Incident has.
    pub stix_id: String,
    /// The sealed report.
    pub report_id: String,
    /// The report, when it was read (audited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<NewIncident>,
}

/// A report made to an agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = IncidentReported)]
pub struct Reported {
    /// Whom: `CISA`, `FBI IC3`, …
    pub to: Vec<String>,
    /// The reference the agency gave.
    #[serde(default)]
    pub reference: Option<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> Error {
    Error::invalid(field, why.into())
}

fn line(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format!("one line of at most {max} characters, not empty"),
        ));
    }
    Ok(v.to_owned())
}

fn word<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// Checks an incident's fields; the report as it is kept.
fn checked(n: &NewIncident, now: DateTime<Utc>) -> Result<NewIncident> {
    let mut n = n.clone();
    if n.occurred_at > now + Duration::minutes(5) {
        return Err(invalid("occurred_at", "is in the future"));
    }
    let detected = n.detected_at.unwrap_or(now);
    if detected > now + Duration::minutes(5) {
        return Err(invalid("detected_at", "is in the future"));
    }
    if detected < n.occurred_at {
        return Err(invalid("detected_at", "is before `occurred_at`"));
    }
    n.detected_at = Some(detected);
    n.location = line("location", &n.location, 500)?;
    n.organisation = line("organisation", &n.organisation, 200)?;
    n.sector = line("sector", &n.sector, 100)?;
    n.narrative = custos_core::text::free_text("narrative", &n.narrative)?;
    if n.narrative.chars().count() > 20_000 {
        return Err(invalid("narrative", "at most 20,000 characters"));
    }
    n.contact.name = line("contact.name", &n.contact.name, 200)?;
    let email = custos_ids::email::check(n.contact.email.trim())
        .map_err(|_| invalid("contact.email", "is not an email address"))?;
    n.contact.email = email
        .normalized
        .unwrap_or_else(|| n.contact.email.trim().to_owned());
    if let Some(p) = &n.contact.phone {
        n.contact.phone = Some(
            custos_ids::phone::check(p.trim())
                .ok()
                .and_then(|p| p.normalized)
                .ok_or_else(|| invalid("contact.phone", "is not a phone number in E.164"))?,
        );
    }
    if n.told.len() > 20 {
        return Err(invalid("told", "at most 20"));
    }
    n.told = n
        .told
        .iter()
        .map(|t| line("told", t, 200))
        .collect::<Result<_>>()?;
    Ok(n)
}

impl App {
    fn incident_of(r: ComplianceRecord) -> Result<Incident> {
        serde_json::from_value(r.body)
            .map_err(|e| Error::Internal(format!("a stored incident: {e}")))
    }

    async fn keep_incident(&self, i: &Incident, event: &'static str) -> Result<()> {
        let mut clear = i.clone();
        clear.report = None;
        Ok(self
            .store
            .put_compliance_record(
                &ComplianceRecord {
                    id: i.id.clone(),
                    kind: INCIDENT_KIND.into(),
                    subject: None,
                    created_at: i.recorded_at,
                    due_at: if i.reported_at.is_none() {
                        i.due_at
                    } else {
                        None
                    },
                    closed_at: i.reported_at,
                    body: serde_json::to_value(&clear)
                        .map_err(|e| Error::Internal(format!("an incident: {e}")))?,
                },
                &[crate::webhooks::incident_change(event, i, self.now())],
            )
            .await?)
    }

    /// Records an incident: checked, its report sealed, its clock started. Audited.
    pub async fn record_incident(&self, caller: &Caller, n: NewIncident) -> Result<Incident> {
        self.record_incident_with_id(caller, new_id("inc_"), n)
            .await
    }

    /// [`App::record_incident`] under an id the caller chose (the demo's).
    pub async fn record_incident_with_id(
        &self,
        caller: &Caller,
        id: String,
        n: NewIncident,
    ) -> Result<Incident> {
        caller.require(Permission::Share)?;
        let now = self.now();
        let n = checked(&n, now)?;
        for c in &n.abuse_cases {
            match self.abuse_case(c).await {
                // Only a report's case holds the actor's infrastructure as this provider saw
                // it (a peer's signal holds the peer's indicator, theirs to share).
                Ok(case) if case.check(custos_core::abuse::Action::Share).is_ok() => {}
                Ok(_) => {
                    return Err(invalid(
                        "abuse_cases",
                        "each is a report's case (a peer's signal or a linked case is not this provider's to share)",
                    ));
                }
                Err(Error::NotFound(_)) => {
                    return Err(invalid("abuse_cases", "no such abuse case"));
                }
                Err(e) => return Err(e),
            }
        }
        let body =
            serde_json::to_vec(&n).map_err(|e| Error::Internal(format!("an incident: {e}")))?;
        let meta = self
            .store
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: id.clone(),
                    kind: REPORT_DOC.into(),
                    version: 0,
                    uploaded_at: now,
                    uploaded_by: caller.key_id.clone(),
                    file_name: "incident.json".into(),
                    media_type: "application/json".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
                    size: body.len() as u64,
                },
                &body,
            )
            .await?;
        let detected = n.detected_at.unwrap_or(now);
        let hours = i64::from(self.policy.compliance.incident_report_hours);
        let i = Incident {
            id,
            activity: n.activity,
            severity: n.severity,
            covered: n.covered,
            occurred_at: n.occurred_at,
            detected_at: detected,
            recorded_at: now,
            recorded_by: caller.key_id.clone(),
            due_at: n.covered.then(|| detected + Duration::hours(hours)),
            reported_at: None,
            reported_to: vec![],
            reference: None,
            abuse_cases: n.abuse_cases.clone(),
            stix_id: stix::new_id("incident"),
            report_id: meta.id,
            report: Some(n),
        };
        self.keep_incident(&i, crate::webhooks::INCIDENT_RECORDED)
            .await?;
        self.audit(&caller.actor(), None, "record_incident", &i.id)
            .await?;
        Ok(i)
    }

    /// Every incident (without the report), newest first.
    pub async fn incidents(&self, caller: &Caller) -> Result<Vec<Incident>> {
        caller.require(Permission::ReadCompliance)?;
        let mut all = self
            .store
            .compliance_records(INCIDENT_KIND, None)
            .await?
            .into_iter()
            .map(App::incident_of)
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|i| std::cmp::Reverse(i.recorded_at));
        Ok(all)
    }

    /// Unreported covered incidents, for the deadlines calendar.
    pub(crate) async fn unreported_incidents(&self) -> Result<Vec<Incident>> {
        Ok(self
            .store
            .compliance_records(INCIDENT_KIND, None)
            .await?
            .into_iter()
            .map(App::incident_of)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|i| i.covered && i.reported_at.is_none())
            .collect())
    }

    /// One incident with its report (read, audited).
    pub async fn incident(&self, caller: &Caller, id: &str) -> Result<Incident> {
        caller.require(Permission::ReadCompliance)?;
        let r = match self.store.compliance_record(id).await {
            Ok(r) if r.kind == INCIDENT_KIND => r,
            Ok(_) | Err(custos_store::StoreError::NotFound(_)) => {
                return Err(Error::NotFound(format!("incident {id}")));
            }
            Err(e) => return Err(e.into()),
        };
        let mut i = App::incident_of(r)?;
        self.audit(
            &caller.actor(),
            Some("reading an incident report"),
            "read_incident",
            id,
        )
        .await?;
        let (_, body) = self.store.document(&i.report_id).await?;
        i.report = Some(
            serde_json::from_slice(&body)
                .map_err(|e| Error::Internal(format!("a stored incident report: {e}")))?,
        );
        Ok(i)
    }

    /// Records that the incident was reported (its clock stops). Audited; once.
    pub async fn incident_reported(
        &self,
        caller: &Caller,
        id: &str,
        r: Reported,
    ) -> Result<Incident> {
        caller.require(Permission::Share)?;
        if r.to.is_empty() || r.to.len() > 10 {
            return Err(invalid("to", "name 1 to 10 agencies"));
        }
        let to =
            r.to.iter()
                .map(|t| line("to", t, 100))
                .collect::<Result<Vec<_>>>()?;
        let reference = r
            .reference
            .as_deref()
            .map(|x| line("reference", x, 200))
            .transpose()?;
        let _once = self.once.lock().await;
        let mut i = self.incident(caller, id).await?;
        if i.reported_at.is_some() {
            return Err(Error::Conflict(format!(
                "incident {id} was reported already"
            )));
        }
        i.reported_at = Some(self.now());
        i.reported_to = to;
        i.reference = reference;
        self.keep_incident(&i, crate::webhooks::INCIDENT_REPORTED)
            .await?;
        self.audit(&caller.actor(), None, "incident_reported", id)
            .await?;
        Ok(i)
    }

    /// The incident as a STIX 2.1 bundle: the Incident (core extension), the indicators and
    /// sightings of its abuse cases, the provider's identity, marked `tlp`. The narrative is not
    /// in it (it may name people): the description says what kind of incident it was.
    pub async fn incident_bundle(&self, caller: &Caller, id: &str, tlp: Tlp) -> Result<Value> {
        caller.require(Permission::Share)?;
        let i = self.incident(caller, id).await?;
        let actor = caller.actor();
        let mut objects = vec![];
        let mut refs = vec![];
        for c in &i.abuse_cases {
            let case = self.abuse_case(c).await?;
            case.check(custos_core::abuse::Action::Share)?;
            for o in self.case_objects(&actor, &case, tlp, true).await? {
                let t = o["type"].as_str().unwrap_or_default().to_owned();
                if matches!(
                    t.as_str(),
                    "indicator"
                        | "sighting"
                        | "ipv4-addr"
                        | "ipv6-addr"
                        | "domain-name"
                        | "cryptocurrency-wallet"
                ) {
                    refs.push(o["id"].as_str().unwrap_or_default().to_owned());
                }
                // The provider's identity and the marking come once; the cases' own incidents
                // (and the relationships to them) give way to this one.
                if matches!(t.as_str(), "incident" | "relationship")
                    || objects.iter().any(|x: &Value| x["id"] == o["id"])
                {
                    continue;
                }
                objects.push(o);
            }
        }
        let identity = match objects
            .iter()
            .find(|o| o["type"] == "identity" && o["id"] != stix::CUSTOS_IDENTITY)
        {
            Some(o) => o["id"].as_str().unwrap_or_default().to_owned(),
            None => {
                let all = self.case_objects_identity(&actor).await?;
                let idv = all["id"].as_str().unwrap_or_default().to_owned();
                objects.insert(0, all);
                objects.insert(1, tlp.marking());
                idv
            }
        };
        let at = stix::timestamp(i.recorded_at);
        let mut ext = json!({
            "extension_type": "property-extension",
            "determination": "confirmed",
            "investigation_status": if i.reported_at.is_some() { "closed" } else { "open" },
            "criticality": match i.severity {
                Severity::Low => 25, Severity::Medium => 50, Severity::High => 75, Severity::Critical => 100,
            },
            "impacted_entity_counts": {"computer": i.report.as_ref().map_or(0, |r| r.systems_affected),
                "user-account": i.report.as_ref().map_or(0, |r| r.accounts_affected)},
        });
        if !refs.is_empty() {
            ext["other_object_refs"] = json!(refs);
        }
        let incident = json!({
            "type": "incident",
            "spec_version": stix::SPEC_VERSION,
            "id": i.stix_id,
            "created": at,
            "modified": stix::timestamp(i.reported_at.unwrap_or(i.recorded_at)),
            "created_by_ref": identity,
            "object_marking_refs": [tlp.marking_id()],
            "name": format!("{} incident", word(i.activity)),
            "description": format!("A {} {} incident at an IaaS provider, reported under its incident reporting obligations.", word(i.severity), word(i.activity)),
            "labels": [word(i.activity)],
            "extensions": { stix::INCIDENT_EXTENSION: ext },
        });
        objects.push(incident);
        Ok(stix::bundle(objects))
    }

    /// Shares the incident's bundle into a collection (new versions of what was shared
    /// before). Audited.
    pub async fn share_incident(
        &self,
        caller: &Caller,
        id: &str,
        s: super::ShareCase,
    ) -> Result<super::Shared> {
        caller.require(Permission::Share)?;
        if s.include_access_addresses || s.include_ssh_keys {
            return Err(invalid(
                if s.include_access_addresses {
                    "include_access_addresses"
                } else {
                    "include_ssh_keys"
                },
                "is for an abuse case's share: an incident bundles its cases' reports",
            ));
        }
        let col = self.named_collection(&s.collection).await?;
        let bundle = self
            .incident_bundle(caller, id, s.tlp.unwrap_or(Tlp::Amber))
            .await?;
        let rows = bundle["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(super::shared_object)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Internal(format!("an object custos made: {e}")))?;
        let added = self
            .store
            .add_shared_objects(&col.id, &rows, self.now())
            .await?;
        self.audit(
            &caller.actor(),
            Some(&format!("sharing into collection {}", col.id)),
            "share_incident",
            id,
        )
        .await?;
        Ok(super::Shared {
            collection: col.id,
            objects: rows.into_iter().map(|r| r.id).collect(),
            added: added.iter().filter(|a| a.is_some()).count(),
            case: None,
        })
    }

    /// The incident's filled sheet: every field the CISA and FBI IC3 forms ask, in their order,
    /// as lines (level 2: title, 1: heading, 0: text).
    pub async fn incident_sheet(&self, caller: &Caller, id: &str) -> Result<Vec<(u8, String)>> {
        let i = self.incident(caller, id).await?;
        let r = i
            .report
            .clone()
            .ok_or_else(|| Error::Internal("an incident without its report".into()))?;
        let t = |d: DateTime<Utc>| d.format("%Y-%m-%d %H:%M UTC").to_string();
        let mut l: Vec<(u8, String)> = vec![(2, format!("Cyber incident report {}", i.id))];
        let field =
            |l: &mut Vec<(u8, String)>, k: &str, v: String| l.push((0, format!("{k}: {v}")));
        l.push((1, "Reporting organisation".into()));
        field(&mut l, "Organisation", r.organisation.clone());
        field(&mut l, "Sector", r.sector.clone());
        field(&mut l, "Point of contact", r.contact.name.clone());
        field(&mut l, "Email", r.contact.email.clone());
        field(
            &mut l,
            "Phone",
            r.contact.phone.clone().unwrap_or_else(|| "-".into()),
        );
        l.push((1, "The incident".into()));
        field(&mut l, "Type of activity", word(r.activity));
        field(&mut l, "Severity", word(r.severity));
        field(
            &mut l,
            "Covered cyber incident",
            if r.covered { "yes".into() } else { "no".into() },
        );
        field(&mut l, "Began", t(r.occurred_at));
        field(
            &mut l,
            "Believed to have occurred (clock start)",
            t(i.detected_at),
        );
        if let Some(d) = i.due_at {
            field(&mut l, "Report due", t(d));
        }
        field(&mut l, "Where", r.location.clone());
        field(&mut l, "Systems affected", r.systems_affected.to_string());
        field(&mut l, "Accounts affected", r.accounts_affected.to_string());
        field(
            &mut l,
            "Others told",
            if r.told.is_empty() {
                "none".into()
            } else {
                r.told.join("; ")
            },
        );
        if !i.abuse_cases.is_empty() {
            field(&mut l, "Related abuse cases", i.abuse_cases.join(", "));
        }
        l.push((1, "Narrative".into()));
        for p in r.narrative.split('\n').filter(|p| !p.trim().is_empty()) {
            l.push((0, p.trim().to_owned()));
        }
        l.push((1, "Reported".into()));
        match i.reported_at {
            Some(at) => field(
                &mut l,
                "Reported",
                format!(
                    "{} to {}{}",
                    t(at),
                    i.reported_to.join(", "),
                    i.reference
                        .as_ref()
                        .map(|x| format!(" (reference {x})"))
                        .unwrap_or_default()
                ),
            ),
            None => field(&mut l, "Reported", "not yet".into()),
        }
        Ok(l)
    }

    /// The sheet as HTML.
    pub async fn incident_sheet_html(&self, caller: &Caller, id: &str) -> Result<String> {
        let lines = self.incident_sheet(caller, id).await?;
        let mut out = String::from(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cyber incident report</title>\
             <style>body{font-family:sans-serif;max-width:50em;margin:2em auto}h2{margin-top:1.5em}</style></head><body>\n",
        );
        for (level, text) in lines {
            let tag = match level {
                2 => "h1",
                1 => "h2",
                _ => "p",
            };
            out.push_str(&format!(
                "<{tag}>{}</{tag}>\n",
                crate::report::escape(&text)
            ));
        }
        out.push_str("</body></html>\n");
        Ok(out)
    }

    /// The sheet as a PDF.
    pub async fn incident_sheet_pdf(&self, caller: &Caller, id: &str) -> Result<Vec<u8>> {
        let lines = self.incident_sheet(caller, id).await?;
        crate::report::pdf_of(&lines, "Cyber incident report", "Reported")
    }
}
