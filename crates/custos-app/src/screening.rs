//! Screening inside the record flow: every subject of a customer is screened whenever its
//! record changes (account opening included) and whenever a list gets a new version; the
//! findings become cases (`custos_core::screening`), and the cases re-decide the accounts.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use custos_core::screening::{
    Basis, CaseChange, CaseState, Changes, CountryLink, Factor, Finding, LinkKind, Measure,
    Resolution,
};
use custos_core::{Account, AccountId, Customer, CustomerId, SubjectId};
use custos_screen::screen::{Query, Screener};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::Error;
use crate::service::{Actor, App, CustomerPages, Result};
use custos_store::StoreError;

/// A customer screened in a walk over every customer.
enum Screened {
    /// Its cases stayed as they were: its id and the version it was read at.
    Quiet(CustomerId, i64),
    /// Its cases changed: it is screened again through [`App::mutate`].
    Changed(CustomerId),
}

/// The index and the `(list, version)` pairs it covers.
pub type Lists = (Arc<Screener>, Vec<(String, i64)>);

fn fingerprint(v: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    hex::encode(&Sha256::digest(&bytes)[..16])
}

/// A list entry's fingerprint: its content, in the form designations had before they were one
/// list (entry id `custos-<id>`, `birth_date`, nothing of who entered one), so that the same
/// content keeps the same fingerprint across that change and a reviewer's false positive
/// stays decided.
pub fn entity_fingerprint(e: &custos_screen::ListEntity) -> String {
    let Some(d) = &e.designation else {
        return fingerprint(e);
    };
    let Ok(mut v) = serde_json::to_value(e) else {
        return fingerprint(e);
    };
    v["id"] = format!("custos-{}", d.id).into();
    if let Some(des) = v.get_mut("designation").and_then(|d| d.as_object_mut()) {
        des.remove("entered");
        if let Some(subject) = des.get_mut("subject").and_then(|s| s.as_object_mut())
            && let Some(born) = subject.remove("date_of_birth")
        {
            subject.insert("birth_date".into(), born);
        }
    }
    fingerprint(&v)
}

/// A case's id: the same customer, subject and list entry always give the same case, so that
/// a case keeps its id however often it is found, cleared and found again.
pub fn case_id(customer: &CustomerId, f: &Finding) -> String {
    let basis = match f.basis {
        Basis::Name => "name",
        Basis::Jurisdiction => "jurisdiction",
    };
    let mut h = Sha256::new();
    for part in [
        customer.as_str(),
        f.subject_id.as_str(),
        basis,
        &f.list,
        &f.entity_id,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("scr_{}", hex::encode(&h.finalize()[..12]))
}

fn link_name(k: LinkKind) -> &'static str {
    match k {
        LinkKind::Address => "address",
        LinkKind::Organisation => "jurisdiction of organisation",
        LinkKind::Nationality => "nationality",
        LinkKind::Document => "identity document",
        LinkKind::Phone => "telephone number",
        LinkKind::Payment => "payment instrument",
        LinkKind::Ip => "IP address",
    }
}

/// Everything the lists say about a customer today.
pub fn findings(
    c: &Customer,
    lists: &Screener,
    confirming: &[LinkKind],
    today: NaiveDate,
) -> Vec<Finding> {
    let mut out = vec![];
    for s in c.screening_subjects() {
        let q = Query {
            name: s.name.clone(),
            name_type: if s.organization {
                custos_screen::names::NameType::Organization
            } else {
                custos_screen::names::NameType::Person
            },
            birth_date: s.birth_date.map(|d| d.to_string()),
            country: s.country.as_ref().map(|c| c.as_str().to_owned()),
            identifiers: s.identifiers.clone(),
            address: s.address.clone(),
        };
        // Most subjects hit nothing: their fingerprint is made only for a hit.
        let subject_fp = std::cell::OnceCell::new();
        for h in lists.screen(&q, None) {
            let Some(e) = lists.entity(&h.list, &h.entity_id) else {
                continue;
            };
            let (measure, conditions, reference) = match &e.designation {
                Some(d) if !d.in_force(today) => continue,
                Some(d) => (
                    match d.measure {
                        custos_screen::model::Measure::Prohibition => Measure::Prohibition,
                        custos_screen::model::Measure::Conditions => Measure::Conditions,
                    },
                    d.conditions.clone(),
                    Some(d.reference.clone()),
                ),
                // A list's own entries ask what the list was imported as.
                None => (lists.measure(&h.list).into(), vec![], None),
            };
            out.push(Finding {
                subject_id: s.subject_id.clone(),
                basis: Basis::Name,
                list: h.list.clone(),
                entity_id: h.entity_id.clone(),
                entity_name: h.name.clone(),
                matched: h.matched_name.clone(),
                score: h.score,
                measure,
                conditions,
                reference,
                // A shared passport, national id, email, phone or wallet is decisive.
                decisive: h.explanation.iter().any(|f| f.field == "identifier"),
                birth_date_equal: s
                    .birth_date
                    .is_some_and(|d| custos_screen::screen::same_birth_date(d, &e.birth_dates)),
                explanation: h
                    .explanation
                    .into_iter()
                    .map(|f| Factor {
                        field: f.field,
                        effect: f.effect,
                        detail: f.detail,
                    })
                    .collect(),
                entity_fingerprint: entity_fingerprint(e),
                subject_fingerprint: subject_fp.get_or_init(|| fingerprint(&s)).clone(),
            });
        }
    }
    let links = c.country_links();
    for (list, e, d) in lists.designations() {
        let Some(country) = d.jurisdiction() else {
            continue;
        };
        if !d.in_force(today) {
            continue;
        }
        let mut by_subject: BTreeMap<&SubjectId, Vec<&CountryLink>> = BTreeMap::new();
        for l in links.iter().filter(|l| l.country.as_str() == country) {
            by_subject.entry(&l.subject_id).or_default().push(l);
        }
        for (subject, ls) in by_subject {
            let kinds: Vec<LinkKind> = ls.iter().map(|l| l.kind).collect();
            out.push(Finding {
                subject_id: subject.clone(),
                basis: Basis::Jurisdiction,
                list: list.to_owned(),
                entity_id: e.id.clone(),
                entity_name: country.to_owned(),
                matched: kinds
                    .iter()
                    .map(|k| link_name(*k))
                    .collect::<Vec<_>>()
                    .join(", "),
                score: 1.0,
                measure: match d.measure {
                    custos_screen::model::Measure::Prohibition => Measure::Prohibition,
                    custos_screen::model::Measure::Conditions => Measure::Conditions,
                },
                conditions: d.conditions.clone(),
                reference: Some(d.reference.clone()),
                decisive: kinds.iter().any(|k| confirming.contains(k)),
                birth_date_equal: false,
                explanation: kinds
                    .iter()
                    .map(|k| Factor {
                        field: "jurisdiction".into(),
                        effect: 0.0,
                        detail: format!(
                            "linked to {country}, a designated jurisdiction, by its {}{}",
                            link_name(*k),
                            if confirming.contains(k) {
                                " (decisive under the policy)"
                            } else {
                                ""
                            }
                        ),
                    })
                    .collect(),
                entity_fingerprint: entity_fingerprint(e),
                subject_fingerprint: fingerprint(&kinds),
            });
        }
    }
    out
}

/// A list version screened against: the list, and the version's number within it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScreenedList {
    pub list: String,
    pub version: i64,
}

/// The outcome of re-screening every customer.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RescreenReport {
    /// The list versions screened against.
    pub lists: Vec<ScreenedList>,
    pub screened: u64,
    /// Customers destroyed under retention, skipped.
    pub skipped: u64,
    pub new: Vec<CustomerCaseChange>,
    pub resolved: Vec<CustomerCaseChange>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerCaseChange {
    pub customer_id: CustomerId,
    #[serde(flatten)]
    pub change: CaseChange,
}

/// Where a reseller is exposed to a designated jurisdiction through the accounts under it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Exposure {
    /// The account under the reseller whose customer is linked.
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    /// 0 for the account itself, 1 for a direct sub-lessee, and so on.
    pub depth: u32,
    pub case_id: String,
    pub list: String,
    pub entity_id: String,
    pub state: CaseState,
    pub measure: Measure,
}

impl App {
    /// Screens a customer against `lists` and folds the findings into its cases.
    pub(crate) fn screen_into(
        &self,
        c: &mut Customer,
        lists: &Lists,
        now: DateTime<Utc>,
    ) -> Changes {
        let f = findings(
            c,
            &lists.0,
            &self.policy().screening.confirming_links,
            now.date_naive(),
        );
        let customer = c.id.clone();
        c.screening
            .apply(f, lists.1.clone(), now, |f| case_id(&customer, f))
    }

    /// Screens every stored customer again (after a list changed), re-deciding the accounts
    /// of those whose cases changed, and reports the hits that are new and those that are
    /// gone. Each customer's screening is
    /// a read of personal data, audited with the purpose `screening`.
    ///
    /// Customers are read a page at a time and screened on every core. A customer whose
    /// cases the screening leaves as they were has nothing to re-decide: it is marked
    /// screened at the walk's time against the lists' versions, beside its record (which is
    /// not sealed and written again: see [`custos_store::Store::mark_screened`]), with the
    /// page's others in one write. A customer whose cases change (or that changed in between) goes the way of any
    /// change to a record ([`App::mutate`]): screened, put to the red-flag rules, its accounts
    /// decided again, its events written.
    pub async fn rescreen_all(
        &self,
        actor: &Actor,
        mut progress: impl FnMut(u64),
    ) -> Result<RescreenReport> {
        let Some(lists) = self.screener().await? else {
            return Err(custos_core::CoreError::Conflict(
                "no list has been imported: nothing to screen against".into(),
            )
            .into());
        };
        let mut report = RescreenReport {
            lists: self.numbered(&lists.1).await?,
            ..Default::default()
        };
        // One time for the whole walk: every customer it leaves as it was is marked
        // screened at it, against the same versions.
        let now = self.now();
        // While one page is screened on every core, the next is audited and read, and the
        // one before saved.
        let mut pages = CustomerPages::default();
        let mut screening = self
            .next_page(&mut pages, actor, &mut report)
            .await?
            .map(|page| self.spawn_screening(page, &lists, now));
        while let Some(current) = screening.take() {
            if let Some(page) = self.next_page(&mut pages, actor, &mut report).await? {
                let next = self.spawn_screening(page, &lists, now);
                screening = Some(next);
            }
            let mut quiet = vec![];
            let mut changed = vec![];
            for s in current.await?? {
                match s {
                    Screened::Quiet(id, version) => quiet.push((id, version)),
                    Screened::Changed(id) => changed.push(id),
                }
            }
            let raced = self.store().mark_screened(now, &lists.1, &quiet).await?;
            report.screened += (quiet.len() - raced.len()) as u64;
            for id in changed.into_iter().chain(raced) {
                match self.mutate_with(&id, Some(&lists), |_, _, _| Ok(())).await {
                    Ok((_, _, _, ch)) => {
                        let tag = |v: Vec<CaseChange>| {
                            v.into_iter().map(|change| CustomerCaseChange {
                                customer_id: id.clone(),
                                change,
                            })
                        };
                        report.new.extend(tag(ch.new));
                        report.resolved.extend(tag(ch.resolved));
                        report.screened += 1;
                    }
                    Err(Error::Destroyed(_)) => report.skipped += 1,
                    Err(e) => return Err(e),
                }
            }
            progress(report.screened + report.skipped);
        }
        Ok(report)
    }

    /// The next page of customers to screen, audited before it is read; `None` after the
    /// last. Those destroyed since their ids were read are counted as skipped.
    async fn next_page(
        &self,
        pages: &mut CustomerPages,
        actor: &Actor,
        report: &mut RescreenReport,
    ) -> Result<Option<Vec<custos_store::LoadedCustomer>>> {
        let Some(ids) = pages.next(self.store().as_ref()).await? else {
            return Ok(None);
        };
        let records: Vec<&str> = ids.iter().map(CustomerId::as_str).collect();
        self.audit_many(actor, Some("screening"), "screen_customer", &records)
            .await?;
        let page = pages.load(self.store().as_ref(), &ids).await?;
        report.skipped += (ids.len() - page.len()) as u64;
        Ok(Some(page))
    }

    /// Screens a page of customers on every core, in the background: those whose cases stay
    /// as they were, with their records as screened; the others by id.
    fn spawn_screening(
        &self,
        page: Vec<custos_store::LoadedCustomer>,
        lists: &Lists,
        now: DateTime<Utc>,
    ) -> tokio::task::JoinHandle<Result<Vec<Screened>>> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = page.len().div_ceil(cores).max(1);
        let mut page = page.into_iter();
        let mut tasks = vec![];
        loop {
            let chunk: Vec<_> = page.by_ref().take(per).collect();
            if chunk.is_empty() {
                break;
            }
            let (app, lists) = (self.clone(), lists.clone());
            tasks.push(tokio::task::spawn_blocking(move || {
                chunk
                    .into_iter()
                    .map(|l| {
                        let mut c = l.customer.value;
                        let before = c.screening.cases.clone();
                        app.screen_into(&mut c, &lists, now);
                        if c.screening.cases == before {
                            Screened::Quiet(c.id, l.customer.version)
                        } else {
                            Screened::Changed(c.id)
                        }
                    })
                    .collect::<Vec<_>>()
            }));
        }
        tokio::spawn(async move {
            let mut out = vec![];
            for t in tasks {
                out.extend(t.await?);
            }
            Ok(out)
        })
    }

    /// A reviewer's decision on a screening case; the customer's accounts are re-decided, and
    /// when it reverses a confirmed match, so are the accounts that match closed (and the
    /// accounts closed with them under a reseller account).
    pub async fn resolve_case(
        &self,
        case_id: &str,
        resolution: Resolution,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<(CustomerId, custos_core::screening::Case, Vec<Account>)> {
        let stored = self.store().screening_case(case_id).await?;
        let by = actor.id.clone();
        let lists = self.screener().await?;
        // The case as resolved, if the resolution withdrew its confirmation: set by the
        // resolution, read when the accounts are decided again in the same write.
        let withdrawn = std::sync::Mutex::new(None);
        let reconsider = |a: &Account| {
            withdrawn
                .lock()
                .ok()
                .and_then(|w| w.as_ref().map(|c| custos_core::account::closed_by(a, c)))
                .unwrap_or(false)
        };
        let (case, _, accounts, _) = self
            .mutate_reconsidering(
                &stored.customer_id,
                lists.as_ref(),
                &reconsider,
                |c, _, now| {
                    let was = c
                        .screening
                        .cases
                        .iter()
                        .find(|k| k.id == case_id)
                        .map(|k| k.state);
                    let case = c
                        .screening
                        .resolve(case_id, resolution, &by, note.clone(), now)?
                        .clone();
                    if let Ok(mut w) = withdrawn.lock() {
                        *w = (was == Some(CaseState::Confirmed)
                            && case.state == CaseState::FalsePositive)
                            .then(|| case.clone());
                    }
                    Ok(case)
                },
            )
            .await?;
        self.audit(
            actor,
            None,
            "resolve_screening_case",
            &format!("{}/{case_id}", stored.customer_id),
        )
        .await?;
        // A confirmed match: the rest of the customer's linked group gets a review case.
        if resolution == Resolution::Confirmed {
            self.open_group_cases(
                &stored.customer_id,
                custos_core::abuse::Category::Other,
                case_id,
                None,
            )
            .await?;
        }
        // The resolution was applied before the customer was screened again in the same
        // write; report the case as it stands now.
        Ok((stored.customer_id, case, accounts))
    }

    /// A case with its finding (names and the explanation: personal data), audited.
    pub async fn read_case(
        &self,
        case_id: &str,
        actor: &Actor,
        purpose: &str,
    ) -> Result<(CustomerId, custos_core::screening::Case)> {
        let stored = self.store().screening_case(case_id).await?;
        self.audit(
            actor,
            Some(purpose),
            "read_screening_case",
            &format!("{}/{case_id}", stored.customer_id),
        )
        .await?;
        let c = self.store().load_customer(&stored.customer_id).await?.value;
        let case = c
            .screening
            .cases
            .into_iter()
            .find(|k| k.id == case_id)
            .ok_or_else(|| Error::NotFound(format!("screening case {case_id}")))?;
        Ok((stored.customer_id, case))
    }

    /// The designated-jurisdiction links of an account's customer and of every customer in
    /// the reseller chains below it.
    pub async fn exposure(&self, id: &AccountId) -> Result<Vec<Exposure>> {
        let root = self.store().get_account(id).await?;
        let mut out = vec![];
        let mut queue = std::collections::VecDeque::from([(root, 0u32)]);
        let mut visited = 0usize;
        while let Some((a, depth)) = queue.pop_front() {
            visited += 1;
            if visited > 100_000 {
                break;
            }
            match self.store().load_summary(&a.customer_id).await {
                Ok(s) => {
                    for c in s.value.screening.iter().filter(|c| {
                        c.basis == Basis::Jurisdiction
                            && matches!(c.state, CaseState::Open | CaseState::Confirmed)
                    }) {
                        out.push(Exposure {
                            account_id: a.id.clone(),
                            customer_id: a.customer_id.clone(),
                            depth,
                            case_id: c.id.clone(),
                            list: c.list.clone(),
                            entity_id: c.entity_id.clone(),
                            state: c.state,
                            measure: c.measure,
                        });
                    }
                }
                Err(StoreError::Destroyed(_)) => {}
                Err(e) => return Err(e.into()),
            }
            if a.kind == custos_core::AccountKind::Reseller {
                for child in self.store().children_of(&a.id).await? {
                    queue.push_back((child, depth + 1));
                }
            }
        }
        Ok(out)
    }
}

impl App {
    /// The screening index over the current version of every list, rebuilt when a list gets a
    /// new version (by any process: the versions are read from the store each time), with the
    /// (list, version) pairs it covers. `None` when no list was imported.
    pub async fn screener(
        &self,
    ) -> Result<Option<(Arc<custos_screen::screen::Screener>, Vec<(String, i64)>)>> {
        let current: Vec<custos_store::StoredListVersion> = self
            .store
            .list_versions(None)
            .await?
            .into_iter()
            .filter(|v| v.current)
            .collect();
        if current.is_empty() {
            return Ok(None);
        }
        let ids: Vec<i64> = current.iter().map(|v| v.id).collect();
        let covered: Vec<(String, i64)> = current
            .iter()
            .map(|v| (v.version.list.clone(), v.id))
            .collect();
        if let Some((built, s)) = self.screener.read().await.as_ref()
            && *built == ids
        {
            return Ok(Some((s.clone(), covered)));
        }
        let mut entries = vec![];
        for v in &current {
            for e in self.store.list_entries(v.id).await? {
                entries.push((v.version.list.clone(), e));
            }
        }
        let measures: Vec<(String, custos_core::screening::ListMeasure)> = current
            .iter()
            .map(|v| (v.version.list.clone(), v.version.measure))
            .collect();
        let s = Arc::new(
            tokio::task::spawn_blocking(move || {
                custos_screen::screen::Screener::build(entries).with_measures(measures)
            })
            .await?,
        );
        *self.screener.write().await = Some((ids, s.clone()));
        Ok(Some((s, covered)))
    }
}
