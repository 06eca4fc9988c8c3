//! Special-measure designations (EO 13984 section 2), in one list, [`API_LIST`]: the ones
//! imported from a designations file and the ones a compliance officer enters through the API
//! alike (kept as versions of that list, like any imported list), their schedule, their extensions, and the sweep that
//! applies a designation to every existing account on the day it takes effect (and lifts it on
//! the day it ends).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use custos_core::CoreError;
pub use custos_screen::model::{Designation, Extension};
/// What a designation is about and what it does, for the doors that enter one.
pub use custos_screen::model::{DesignationSubject, Measure};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::kept::{LastSweep, RescreenRequest};
use crate::screening::RescreenReport;
use crate::service::{Actor, App, CustomerPages, Result};
use custos_store::StoreError;

/// The one list designations are kept in, whether entered through the API or imported from a
/// designations file (`custos lists import --format custos-toml`).
pub const API_LIST: &str = "designations";

/// A designation a compliance officer enters.
#[derive(Debug, Clone)]
pub struct NewDesignation {
    pub id: String,
    pub subject: custos_screen::model::DesignationSubject,
    pub measure: custos_screen::model::Measure,
    pub conditions: Vec<String>,
    pub determined: Option<NaiveDate>,
    pub effective: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub reference: String,
}

/// Where a designation stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DesignationStatus {
    /// Determined, not yet in force: see its effective date.
    Scheduled,
    InForce,
    Expired,
}

/// A designation, where it is kept, and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DesignationView {
    pub list: String,
    #[schema(value_type = Object)]
    pub designation: Designation,
    pub status: DesignationStatus,
    /// The day it stops being in force, extensions included.
    pub ends: Option<NaiveDate>,
    /// Days from the determination to the effective date, when the determination is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_days: Option<i64>,
    /// Whether that is at least the policy's lead time (`compliance.special_measure_lead_days`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_ok: Option<bool>,
    /// Screening cases the designation has opened (and confirmed) so far.
    pub open_cases: u64,
    pub confirmed_cases: u64,
}

/// One dated event of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScheduleEvent {
    pub date: NaiveDate,
    /// `takes_effect` or `ends`.
    pub event: String,
    pub list: String,
    pub designation_id: String,
    pub reference: String,
    /// Negative for events that are past.
    pub days_from_today: i64,
}

/// Whom a designation will reach when it takes effect, as the records stand today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub designation_id: String,
    pub effective: NaiveDate,
    pub customers_screened: u64,
    /// Customers it will reach decisively (their open accounts are decided under it at once).
    pub decisive: Vec<PreviewHit>,
    /// Customers it will put in review (a possible match).
    pub review: Vec<PreviewHit>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewHit {
    pub customer_id: custos_core::CustomerId,
    /// The customer's open accounts.
    pub accounts: Vec<custos_core::AccountId>,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SweepReport {
    pub day: Option<NaiveDate>,
    /// The day of the sweep before this one.
    pub previous: Option<NaiveDate>,
    /// Designations that took effect or ended since the previous sweep.
    pub transitions: Vec<ScheduleEvent>,
    /// The re-screening those transitions caused, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescreen: Option<RescreenReport>,
    /// Exemptions that started or ended since the previous sweep (every account is decided
    /// again).
    pub exemption_transitions: Vec<String>,
    /// Accounts re-decided because a clock ran out (a verification deadline), and how many of
    /// them that closed.
    pub redecided: u64,
    pub closed: u64,
}

fn status(d: &Designation, today: NaiveDate) -> DesignationStatus {
    if d.in_force(today) {
        DesignationStatus::InForce
    } else if today < d.effective {
        DesignationStatus::Scheduled
    } else {
        DesignationStatus::Expired
    }
}

fn events(list: &str, d: &Designation, today: NaiveDate) -> Vec<ScheduleEvent> {
    let ev = |date: NaiveDate, event: &str| ScheduleEvent {
        date,
        event: event.to_owned(),
        list: list.to_owned(),
        designation_id: d.id.clone(),
        reference: d.reference.clone(),
        days_from_today: (date - today).num_days(),
    };
    let mut out = vec![ev(d.effective, "takes_effect")];
    out.extend(d.ends().map(|e| ev(e, "ends")));
    out
}

impl App {
    /// Every designation of the current list versions, with its list.
    pub async fn designations(&self) -> Result<Vec<(String, Designation)>> {
        let Some((lists, _)) = self.screener().await? else {
            return Ok(vec![]);
        };
        Ok(lists
            .designations()
            .map(|(l, _, d)| (l.to_owned(), d.clone()))
            .collect())
    }

    /// Every designation as the schedule shows it today.
    pub async fn designation_views(&self) -> Result<Vec<DesignationView>> {
        let today = self.now().date_naive();
        let lead = i64::from(self.policy().compliance.special_measure_lead_days);
        let mut counts: std::collections::HashMap<(String, String), (u64, u64)> =
            Default::default();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store()
                .screening_cases(None, after.as_deref(), 1000)
                .await?;
            let Some(last) = page.last().map(|c| c.case.id.clone()) else {
                break;
            };
            for c in page {
                let slot = counts
                    .entry((c.case.list.clone(), c.case.entity_id.clone()))
                    .or_default();
                match c.case.state {
                    custos_core::screening::CaseState::Open => slot.0 += 1,
                    custos_core::screening::CaseState::Confirmed => slot.1 += 1,
                    _ => {}
                }
            }
            after = Some(last);
        }
        let mut out: Vec<DesignationView> = self
            .designations()
            .await?
            .into_iter()
            .map(|(list, d)| {
                let lead_days = d.determined.map(|x| (d.effective - x).num_days());
                // A designation's entry bears its id (before 0.2, `custos-<id>`).
                let (open_cases, confirmed_cases) = [d.id.clone(), format!("custos-{}", d.id)]
                    .into_iter()
                    .filter_map(|e| counts.get(&(list.clone(), e)).copied())
                    .fold((0, 0), |(o, c), (o2, c2)| (o + o2, c + c2));
                DesignationView {
                    status: status(&d, today),
                    ends: d.ends(),
                    lead_days,
                    lead_ok: lead_days.map(|l| l >= lead),
                    open_cases,
                    confirmed_cases,
                    list,
                    designation: d,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.designation.effective, &a.designation.id)
                .cmp(&(b.designation.effective, &b.designation.id))
        });
        Ok(out)
    }

    /// What takes effect and ends when, in date order.
    pub async fn schedule(&self) -> Result<Vec<ScheduleEvent>> {
        let today = self.now().date_naive();
        let mut out: Vec<ScheduleEvent> = self
            .designations()
            .await?
            .iter()
            .flat_map(|(l, d)| events(l, d, today))
            .collect();
        out.sort_by(|a, b| (a.date, &a.designation_id).cmp(&(b.date, &b.designation_id)));
        Ok(out)
    }

    /// Enters a designation. The determination is today unless given; the effective date is
    /// the policy's lead time after it unless given, and never earlier; the expiry is the
    /// policy's duration after the effective date unless given.
    pub async fn add_designation(
        &self,
        n: NewDesignation,
        actor: &Actor,
    ) -> Result<DesignationView> {
        let c = &self.policy().compliance;
        let today = self.now().date_naive();
        let determined = n.determined.unwrap_or(today);
        // A determination is a fact of the past (or of today, wherever the officer is: a day
        // of slack past UTC's): one to come is a typo.
        if determined > today + chrono::Duration::days(1) {
            return Err(CoreError::invalid(
                "determined",
                format!("is after today ({today}): a determination already made is entered"),
            )
            .into());
        }
        let mut d = Designation {
            id: n.id,
            subject: n.subject,
            measure: n.measure,
            conditions: n.conditions,
            determined: Some(determined),
            effective: c.effective_date(determined, n.effective)?,
            expires: n.expires,
            reference: n.reference,
            extensions: vec![],
            entered: true,
        };
        custos_screen::import::check_designation(&mut d, i64::from(c.special_measure_days))
            .map_err(|why| CoreError::invalid("designation", why))?;
        if self.designations().await?.iter().any(|(_, x)| x.id == d.id) {
            return Err(CoreError::Conflict(format!("designation {} already exists", d.id)).into());
        }
        let id = d.id.clone();
        let now_in_force = d.in_force(self.now().date_naive());
        self.save_api_designations(actor, |all| {
            all.push(custos_screen::import::designation_entity(d.clone()));
            Ok(())
        })
        .await?;
        if now_in_force {
            // Already in force (a determination entered late): the next sweep applies it.
            self.request_rescreen().await?;
        }
        self.audit(actor, None, "add_designation", &id).await?;
        self.designation_view(&id).await
    }

    /// Screens every customer against one designation as if it were in force on its
    /// effective day, changing nothing: whom it will reach. Reading the records is audited
    /// first, once, with the purpose `screening`.
    pub async fn preview_designation(&self, id: &str, actor: &Actor) -> Result<Preview> {
        let Some((lists, _)) = self.screener().await? else {
            return Err(Error::NotFound(format!("designation {id}")));
        };
        let Some((list, entity, d)) = lists
            .designations()
            .find(|(_, _, d)| d.id == id)
            .map(|(l, e, d)| (l.to_owned(), e.clone(), d.clone()))
        else {
            return Err(Error::NotFound(format!("designation {id}")));
        };
        let one = custos_screen::screen::Screener::build([(list, entity)]);
        self.audit(actor, Some("screening"), "preview_designation", id)
            .await?;
        let mut out = Preview {
            designation_id: d.id.clone(),
            effective: d.effective,
            customers_screened: 0,
            decisive: vec![],
            review: vec![],
        };
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for cid in ids {
                let c = match self.store().load_customer(&cid).await {
                    Ok(c) => c.value,
                    Err(StoreError::Destroyed(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                out.customers_screened += 1;
                let found = crate::screening::findings(
                    &c,
                    &one,
                    &self.policy().screening.confirming_links,
                    d.effective,
                );
                if found.is_empty() {
                    continue;
                }
                let hit = PreviewHit {
                    customer_id: cid.clone(),
                    accounts: self
                        .store()
                        .accounts_of(&cid)
                        .await?
                        .into_iter()
                        .filter(|a| a.closed_at.is_none())
                        .map(|a| a.id)
                        .collect(),
                };
                if found.iter().any(|f| f.decisive) {
                    out.decisive.push(hit);
                } else {
                    out.review.push(hit);
                }
            }
        }
        Ok(out)
    }

    /// Extends a designation entered through the API to `until`.
    pub async fn extend_designation(
        &self,
        id: &str,
        until: NaiveDate,
        reference: String,
        actor: &Actor,
    ) -> Result<DesignationView> {
        let Some((list, found)) = self
            .designations()
            .await?
            .into_iter()
            .find(|(_, d)| d.id == id)
        else {
            return Err(Error::NotFound(format!("designation {id}")));
        };
        if list != API_LIST || !self.entered(&found).await? {
            return Err(CoreError::Conflict(format!(
                "designation {id} was imported from a designations file: extend it in the file \
                 (an `extensions` entry) and import the file again"
            ))
            .into());
        }
        let days = i64::from(self.policy().compliance.special_measure_days);
        let today = self.now().date_naive();
        let mut revived = false;
        self.save_api_designations(actor, |all| {
            let e = all
                .iter_mut()
                .find_map(|e| e.designation.as_deref_mut().filter(|d| d.id == id))
                .ok_or_else(|| Error::NotFound(format!("designation {id}")))?;
            let before = e.in_force(today);
            e.extensions.push(Extension {
                until,
                reference: reference.clone(),
            });
            revived = !before && e.in_force(today);
            let mut checked = e.clone();
            custos_screen::import::check_designation(&mut checked, days)
                .map_err(|why| CoreError::invalid("until", why))?;
            Ok(())
        })
        .await?;
        if revived {
            // It had ended and is in force again: the next sweep applies it anew.
            self.request_rescreen().await?;
        }
        self.audit(actor, None, "extend_designation", id).await?;
        self.designation_view(id).await
    }

    /// Whether a designation of [`API_LIST`] was entered through the API (or the CLI), not
    /// imported from a file. Those entered before their origin was kept carry none; they are
    /// the entered ones while the list holds nothing from a file.
    pub(crate) async fn entered(&self, d: &Designation) -> Result<bool> {
        if d.entered {
            return Ok(true);
        }
        Ok(self
            .store()
            .list_versions(Some(API_LIST))
            .await?
            .iter()
            .all(|v| v.version.format == "custos-api"))
    }

    async fn designation_view(&self, id: &str) -> Result<DesignationView> {
        self.designation_views()
            .await?
            .into_iter()
            .find(|v| v.designation.id == id)
            .ok_or_else(|| Error::NotFound(format!("designation {id}")))
    }

    /// Writes a new version of [`API_LIST`]: its current entries changed by `f`.
    async fn save_api_designations(
        &self,
        actor: &Actor,
        f: impl FnOnce(&mut Vec<custos_screen::ListEntity>) -> Result<()>,
    ) -> Result<()> {
        let (base, before) = self.current_list(API_LIST).await?;
        let mut after = before;
        f(&mut after)?;
        // Each entry bears its designation's id (those entered before were `custos-<id>`).
        for e in &mut after {
            if let Some(d) = &e.designation {
                e.id = d.id.clone();
            }
        }
        after.sort_by(|a, b| a.id.cmp(&b.id));
        let p = crate::lists::Publication {
            list: API_LIST.to_owned(),
            format: "custos-api".to_owned(),
            source: format!("api:{}", actor.id),
            // The designations carry their own measures.
            measure: Default::default(),
            // Designations end and are withdrawn: any number may go at once.
            allow_shrink: true,
            name_guessed: false,
            based_on: Some(base),
        };
        self.publish_entities(after, p).await?;
        Ok(())
    }

    /// Asks the next sweep to screen every customer again, whatever the calendar says.
    async fn request_rescreen(&self) -> Result<()> {
        self.keep(&RescreenRequest {
            requested_at: self.now(),
            done_at: None,
        })
        .await
    }

    /// Applies what the calendar changed since the last sweep: designations that took effect
    /// or ended (every customer is screened again, so that each existing account is re-decided
    /// under them), exemptions that started or ended (every account is re-decided), and
    /// accounts whose verification deadline passed (re-decided, and closed).
    /// Meant to run daily (`custos compliance sweep`, or the server's own timer).
    pub async fn sweep(&self, actor: &Actor) -> Result<SweepReport> {
        let now = self.now();
        let today = now.date_naive();
        let last = self.kept::<LastSweep>("sweep:last").await?.map(|(_, l)| l);
        let previous = last
            .as_ref()
            .and_then(|last| NaiveDate::parse_from_str(&last.day, "%Y-%m-%d").ok());
        let mut report = SweepReport {
            day: Some(today),
            previous,
            ..Default::default()
        };
        let all = self.designations().await?;
        report.transitions = all
            .iter()
            .flat_map(|(l, d)| events(l, d, today))
            .filter(|e| e.date <= today && previous.is_none_or(|p| e.date > p))
            .collect();
        report
            .transitions
            .sort_by(|a, b| (a.date, &a.designation_id).cmp(&(b.date, &b.designation_id)));
        let passed = |t: DateTime<Utc>| t <= now && previous.is_none_or(|p| t.date_naive() > p);
        report.exemption_transitions = self
            .exemption_transitions()
            .await?
            .into_iter()
            .filter(|(t, _)| passed(*t))
            .map(|(_, id)| id)
            .collect();
        let requested = self
            .kept::<RescreenRequest>("sweep:rescreen")
            .await?
            .filter(|(r, _)| r.closed_at.is_none())
            .map(|(_, req)| req);
        if !report.transitions.is_empty() || requested.is_some() {
            report.rescreen = Some(self.rescreen_all(actor, |_| {}).await?);
            // Done, unless another request came in while screening.
            if let Some(seen) = requested
                && let Some((_, mut r)) = self.kept::<RescreenRequest>("sweep:rescreen").await?
                && r.requested_at == seen.requested_at
            {
                r.done_at = Some(now);
                self.keep(&r).await?;
            }
        }
        // A re-screening decides again only the accounts of customers whose cases changed:
        // an exemption that began or ended needs every account decided again.
        if !report.exemption_transitions.is_empty() {
            self.redecide_all().await?;
        }
        let (redecided, closed) = self.redecide_overdue(now).await?;
        report.redecided = redecided;
        report.closed = closed;
        // Webhooks are told of each designation that came into force or stopped being in force
        // since the sweep before, whatever moved it: its dates, a late entry, an extension.
        let in_force: Vec<(String, String, String)> = all
            .iter()
            .filter(|(_, d)| d.in_force(today))
            .map(|(l, d)| (l.clone(), d.id.clone(), d.reference.clone()))
            .collect();
        let mut events = match last.and_then(|l| l.in_force) {
            Some(before) => {
                crate::webhooks::designation_set_changes(&all, &before, &in_force, previous, now)
            }
            None => vec![],
        };
        // And each date that fell since (a designation whose whole time in force fell between
        // two sweeps is told both ends), once.
        for e in crate::webhooks::designation_changes(&report.transitions, now) {
            let same = |x: &custos_store::OutboxEvent| {
                x.kind == e.kind && x.data["designation_id"] == e.data["designation_id"]
            };
            if !events.iter().any(same) {
                events.push(e);
            }
        }
        self.keep_with(
            &LastSweep {
                day: today.to_string(),
                at: now,
                in_force: Some(in_force),
            },
            &events,
        )
        .await?;
        self.audit(actor, None, "compliance_sweep", &today.to_string())
            .await?;
        Ok(report)
    }

    /// Every open account waiting for something (verification, a review, a condition), with
    /// since when.
    pub async fn waiting_accounts(&self) -> Result<Vec<custos_core::Account>> {
        let mut out = vec![];
        let mut after = None;
        loop {
            let page = self
                .store()
                .accounts_needing_action(after.as_ref(), 500)
                .await?;
            let Some(last) = page.last().map(|a| a.id.clone()) else {
                break;
            };
            out.extend(page.into_iter().filter(|a| a.pending_since.is_some()));
            after = Some(last);
        }
        Ok(out)
    }

    /// Re-decides the customers of accounts pending past the policy's deadline.
    async fn redecide_overdue(&self, now: DateTime<Utc>) -> Result<(u64, u64)> {
        let max = Duration::days(i64::from(self.policy().pending.max_days));
        let due: std::collections::BTreeSet<_> = self
            .waiting_accounts()
            .await?
            .into_iter()
            .filter(|a| a.pending_since.is_some_and(|s| now > s + max))
            .map(|a| a.customer_id)
            .collect();
        let (mut redecided, mut closed) = (0, 0);
        for cid in due {
            let before = self.store().accounts_of(&cid).await?;
            let (_, _, accounts) = self.mutate(&cid, |_, _, _| Ok(())).await?;
            for a in &accounts {
                if before
                    .iter()
                    .any(|b| b.id == a.id && b.decision != a.decision)
                {
                    redecided += 1;
                    if a.closed_at.is_some() {
                        closed += 1;
                    }
                }
            }
        }
        Ok((redecided, closed))
    }
}
