//! The application layer: loads records, applies the domain's rules, saves the outcome, and
//! carries the consequences along (a customer's verification changes its accounts; a reseller
//! account's status changes its sub-lessees'). HTTP handlers and CLI commands call this; it
//! holds no HTTP and no business rules of its own (those are in `custos-core`).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use custos_core::account::{self, Evaluation, ReasonCode};
use custos_core::customer::{BeneficialOwner, CustomerSummary};

use custos_core::verification::{ManualDecision, MethodResult};
use custos_core::{
    Account, AccountDecision, AccountId, AccountKind, AccountStatus, CipPolicy, CoreError,
    Customer, CustomerId, CustomerProfile, Decision, LegalHold, Offering, ParentInfo, RiskLevel,
    SubjectId,
};
use custos_store::{Store, StoreError};

/// A source of the current time; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

pub use crate::error::{Error, Result};

/// Who is acting, for audit entries and `recorded_by` fields.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub role: String,
}

/// What to open.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    pub offering: Offering,
    pub parent_id: Option<AccountId>,
}

/// Every customer id not yet destroyed, a page at a time, for the walks over every customer
/// (retention, re-screening, sweeps, reports).
#[derive(Debug, Default)]
pub struct CustomerPages {
    /// Where the page last given starts (after this id).
    start: Option<CustomerId>,
    after: Option<CustomerId>,
    done: bool,
}

impl CustomerPages {
    /// The next page of ids, in id order; `None` after the last.
    pub async fn next(&mut self, store: &dyn Store) -> Result<Option<Vec<CustomerId>>> {
        if self.done {
            return Ok(None);
        }
        let ids = store.customer_ids(self.after.as_ref(), 500).await?;
        match ids.last() {
            None => {
                self.done = true;
                Ok(None)
            }
            Some(last) => {
                self.start = self.after.replace(last.clone());
                Ok(Some(ids))
            }
        }
    }

    /// The customers of `ids`, the page [`CustomerPages::next`] last gave, decrypted and
    /// with their accounts, in one read of the store: those destroyed since are left out, and
    /// so are those created since (they are not on the page).
    pub async fn load(
        &self,
        store: &dyn Store,
        ids: &[CustomerId],
    ) -> Result<Vec<custos_store::LoadedCustomer>> {
        let Some(last) = ids.last() else {
            return Ok(vec![]);
        };
        let mut page = store.customers_in(self.start.as_ref(), last).await?;
        let wanted: HashSet<&CustomerId> = ids.iter().collect();
        page.retain(|l| wanted.contains(&l.customer.value.id));
        Ok(page)
    }
}

/// How many times a write that lost an optimistic-concurrency race is retried.
const RETRIES: usize = 5;

/// The screening index over the current list versions, and which versions it was built from.
type ScreenerCache =
    Arc<tokio::sync::RwLock<Option<(Vec<i64>, Arc<custos_screen::screen::Screener>)>>>;

#[derive(Clone)]
pub struct App {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) policy: Arc<CipPolicy>,
    pub(crate) clock: Clock,
    pub(crate) screener: ScreenerCache,
    /// The IP-country database, for accesses reported without a country.
    pub(crate) ip_countries: Option<Arc<custos_screen::geo::IpCountries>>,
    /// The access ledger; audit entries are mirrored into its audit log.
    pub(crate) ledger: Option<Arc<custos_ledger::Ledger>>,
    /// The last audit record (its place in the trail) copied into the ledger's audit log;
    /// `None` until read from the log.
    pub(crate) audit_mirrored: Arc<tokio::sync::Mutex<Option<i64>>>,
    /// How far the audit trail's hash chain was checked: the last entry and its hash.
    pub(crate) audit_checked: Arc<tokio::sync::Mutex<(i64, Vec<u8>)>>,
    /// Held by a write that first checks it is not a repeat (a request waiting for a second
    /// person, a flag, an exemption, a filing): a form sent twice at once is then one write
    /// and one refusal, not two writes.
    pub(crate) once: Arc<tokio::sync::Mutex<()>>,
    /// The reference lists in use, loaded once (`App::reference_data`).
    pub(crate) references: crate::reference::ReferenceCache,
    /// The policy's red-flag rules, compiled once.
    pub(crate) detector: Arc<custos_core::detection::Detector>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

/// A fresh id with the given prefix: a UUIDv7 (time-ordered, so inserts stay local in the
/// primary-key index) in lower-case hex.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

/// Why a decision closes an account, in a line: its first reason other than a failed
/// verification (which is told by the verification's state), else its first.
fn close_reason(d: &AccountDecision) -> Option<String> {
    d.reasons
        .iter()
        .find(|r| r.code != ReasonCode::VerificationFailed)
        .or(d.reasons.first())
        .map(|r| r.detail.clone())
}

fn open_accounts(accounts: &[Account]) -> impl Iterator<Item = (AccountKind, Offering)> + '_ {
    accounts
        .iter()
        .filter(|a| a.closed_at.is_none())
        .map(|a| (a.kind, a.offering))
}

impl App {
    pub fn new(store: Arc<dyn Store>, policy: Arc<CipPolicy>, clock: Clock) -> Self {
        // A policy is checked when it is loaded; one that was not (a test's) and whose rules
        // do not compile has none.
        let detector = Arc::new(
            policy
                .detection
                .check()
                .unwrap_or_else(|_| custos_core::detection::Detector::none()),
        );
        App {
            store,
            policy,
            clock,
            screener: Arc::new(tokio::sync::RwLock::new(None)),
            ip_countries: None,
            ledger: None,
            audit_mirrored: Arc::new(tokio::sync::Mutex::new(None)),
            audit_checked: Arc::new(tokio::sync::Mutex::new((0, vec![0; 32]))),
            once: Arc::new(tokio::sync::Mutex::new(())),
            references: Arc::default(),
            detector,
        }
    }

    /// Keeps access events in `ledger`, and mirrors the audit trail into its audit log.
    pub fn with_ledger(mut self, ledger: Option<Arc<custos_ledger::Ledger>>) -> Self {
        self.ledger = ledger;
        self
    }

    pub fn ledger(&self) -> Option<&Arc<custos_ledger::Ledger>> {
        self.ledger.as_ref()
    }

    /// Uses an IP-country database for accesses reported without a country.
    pub fn with_ip_countries(mut self, db: Option<Arc<custos_screen::geo::IpCountries>>) -> Self {
        self.ip_countries = db;
        self
    }

    pub fn ip_countries(&self) -> Option<&custos_screen::geo::IpCountries> {
        self.ip_countries.as_deref()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn policy(&self) -> &CipPolicy {
        &self.policy
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The customer's current risk level.
    pub fn risk(&self, summary: &CustomerSummary, accounts: &[Account]) -> RiskLevel {
        custos_core::status::risk(&self.policy, summary, accounts)
    }

    pub async fn create_customer(
        &self,
        profile: CustomerProfile,
        owners: Vec<BeneficialOwner>,
        external_ref: Option<String>,
    ) -> Result<Customer> {
        let id = CustomerId::parse(&new_id(CustomerId::PREFIX))?;
        let subject_ids = (0..=owners.len())
            .map(|_| SubjectId::parse(&new_id(SubjectId::PREFIX)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        self.create_customer_with_ids(id, subject_ids, profile, owners, external_ref)
            .await
    }

    /// Creates a customer with ids the caller chose (the demo's well-known records).
    pub async fn create_customer_with_ids(
        &self,
        id: CustomerId,
        subject_ids: Vec<SubjectId>,
        profile: CustomerProfile,
        owners: Vec<BeneficialOwner>,
        external_ref: Option<String>,
    ) -> Result<Customer> {
        let now = self.now();
        let c = Customer::new(
            id,
            now,
            profile,
            owners,
            subject_ids,
            external_ref,
            &self.policy,
        )?;
        self.insert_customer(c).await
    }

    /// Stores a new customer record as it stands (a sign-up with its contacts, payment means
    /// and connection in one write, as a migration or the detection benchmark brings them):
    /// screened, put to the red-flag rules, and stored with its clear summary.
    pub async fn insert_customer(&self, mut c: Customer) -> Result<Customer> {
        let now = self.now();
        let lists = self.screener().await?;
        if let Some(l) = &lists {
            self.screen_into(&mut c, l, now);
        }
        self.detect(&mut c, now).await?;
        let summary = c.summary(&self.policy);
        let events = crate::webhooks::opened_cases(&summary, now);
        self.store.create_customer(&c, &summary, &events).await?;
        self.red_flag_case_after(&summary).await;
        Ok(c)
    }

    /// How many reseller accounts stand above an account whose parent is `parent`.
    async fn chain_depth(&self, parent: &Account) -> Result<u32> {
        let mut depth = 1;
        let mut cur = parent.parent_id.clone();
        while let Some(id) = cur {
            depth += 1;
            if depth > self.policy.resellers.max_chain_depth + 1 {
                break;
            }
            cur = self.store.get_account(&id).await?.parent_id;
        }
        Ok(depth)
    }

    async fn parent_info(&self, parent_id: Option<&AccountId>) -> Result<Option<ParentInfo>> {
        let Some(pid) = parent_id else {
            return Ok(None);
        };
        let parent = match self.store.get_account(pid).await {
            Ok(p) => p,
            Err(StoreError::NotFound(_)) => {
                return Err(
                    CoreError::invalid("parent_account_id", format!("no account {pid}")).into(),
                );
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Some(ParentInfo {
            id: parent.id.clone(),
            kind: parent.kind,
            status: parent.status(),
            depth: self.chain_depth(&parent).await?,
            measures: parent.decision.special_measures.clone(),
        }))
    }

    /// Opens an account and decides it, synchronously.
    pub async fn open_account(&self, req: NewAccount) -> Result<Account> {
        let id = AccountId::parse(&new_id(AccountId::PREFIX))?;
        self.open_account_with_id(id, req).await
    }

    /// Opens an account with an id the caller chose.
    pub async fn open_account_with_id(&self, id: AccountId, req: NewAccount) -> Result<Account> {
        let now = self.now();
        let summary = self.store.load_summary(&req.customer_id).await?.value;
        let parent = self.parent_info(req.parent_id.as_ref()).await?;
        account::check_new(req.kind, parent.as_ref(), &self.policy)?;
        let existing = self.store.accounts_of(&req.customer_id).await?;
        let risk = self.policy.risk(
            &summary,
            open_accounts(&existing).chain([(req.kind, req.offering)]),
        );
        let profile = custos_core::measures::AccountProfile::default();
        let exemptions = custos_core::exemptions::covering(
            &self.exemptions().await?,
            &req.customer_id,
            req.kind,
            req.offering,
            now,
        );
        // A customer closed for abuse opens nothing more.
        let banned = self.store.abuse_closure(&req.customer_id).await?;
        let decision = account::evaluate(&Evaluation {
            policy: &self.policy,
            customer: &summary,
            risk,
            account_id: &id,
            kind: req.kind,
            offering: req.offering,
            profile: &profile,
            exemptions: &exemptions,
            parent: parent.as_ref(),
            opened_at: None,
            pending_since: None,
            now,
            detector: Some(&self.detector),
            abuse_hold: banned.as_ref().map(|(case, _)| case.as_str()),
        });
        let a = crate::bulk::opened_account(id, req, decision, now);
        let mut all = existing.clone();
        all.push(a.clone());
        let events =
            crate::webhooks::accounts_changes(&self.policy, &summary, &existing, &all, now);
        self.store.insert_account(&a, &events).await?;
        // A new account can raise the customer's risk, and with it what the other accounts
        // need; bring them in line.
        if a.decision.risk > self.risk(&summary, &existing) {
            let changed = self.reevaluate(&summary, all.clone(), now).await?;
            if !changed.is_empty() {
                let after = crate::webhooks::merged(&all, &changed);
                let events =
                    crate::webhooks::accounts_changes(&self.policy, &summary, &all, &after, now);
                self.store.update_accounts(&changed, &events).await?;
                self.cascade(&changed, now).await?;
            }
        }
        Ok(a)
    }

    /// Re-decides the customer's open accounts; returns those whose decision changed.
    pub(crate) async fn reevaluate(
        &self,
        summary: &CustomerSummary,
        accounts: Vec<Account>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Account>> {
        self.reevaluate_with(summary, accounts, now, &|_| false)
            .await
    }

    /// [`App::reevaluate`], deciding again too the closed accounts `reconsider` names (a
    /// closure a reviewer's reversal withdrew, see [`account::reopen`]): one the decision opens
    /// again is open, one it closes again keeps its closing time.
    async fn reevaluate_with(
        &self,
        summary: &CustomerSummary,
        accounts: Vec<Account>,
        now: DateTime<Utc>,
        reconsider: &(dyn Fn(&Account) -> bool + Sync),
    ) -> Result<Vec<Account>> {
        let risk = self.risk(summary, &accounts);
        let all_exemptions = self.exemptions().await?;
        let mut parents: HashMap<AccountId, ParentInfo> = HashMap::new();
        let mut changed = vec![];
        for mut a in accounts {
            let closed = match a.closed_at {
                Some(_) if reconsider(&a) => Some(a.clone()),
                Some(_) => continue,
                None => None,
            };
            if closed.is_some() {
                account::reopen(&mut a);
            }
            let parent = match &a.parent_id {
                Some(pid) => {
                    if !parents.contains_key(pid)
                        && let Some(p) = self.parent_info(Some(pid)).await?
                    {
                        parents.insert(pid.clone(), p);
                    }
                    parents.get(pid)
                }
                None => None,
            };
            let exemptions = custos_core::exemptions::covering(
                &all_exemptions,
                &a.customer_id,
                a.kind,
                a.offering,
                now,
            );
            let d = account::evaluate(&Evaluation {
                policy: &self.policy,
                customer: summary,
                risk,
                account_id: &a.id,
                kind: a.kind,
                offering: a.offering,
                profile: &a.profile,
                exemptions: &exemptions,
                parent,
                opened_at: Some(a.opened_at),
                pending_since: a.pending_since,
                now,
                detector: Some(&self.detector),
                abuse_hold: a.abuse_holds.first().map(String::as_str),
            });
            if let Some(mut was) = closed
                && d.account_status == AccountStatus::Closed
            {
                // Still closed, for what the decision says now, since it first was.
                if d != was.decision {
                    was.close_reason = close_reason(&d);
                    was.decision = d;
                    changed.push(was);
                }
                continue;
            }
            if d != a.decision {
                if let (Some(since), Some(outcome)) = (
                    a.pending_since,
                    custos_core::account::PendingOutcome::of(&d),
                ) {
                    a.pending_history.push(custos_core::account::PendingSpan {
                        since,
                        ended_at: now,
                        outcome,
                    });
                }
                a.pending_since = match d.decision {
                    Decision::Pending => a
                        .pending_since
                        .or_else(|| Some(custos_core::account::wait_starts(&a, now))),
                    _ => None,
                };
                if d.account_status == AccountStatus::Closed {
                    a.closed_at = Some(now);
                    a.close_reason = close_reason(&d);
                }
                a.decision = d;
                changed.push(a);
            }
        }
        Ok(changed)
    }

    /// Carries status changes of reseller accounts down to their sub-accounts, level by level.
    pub(crate) async fn cascade(&self, changed: &[Account], now: DateTime<Utc>) -> Result<()> {
        self.cascade_reopening(changed, HashSet::new(), now).await
    }

    /// [`App::cascade`], where the reseller accounts `reopened` were open again after a
    /// withdrawn closure: the sub-accounts closed with them are decided again too.
    async fn cascade_reopening(
        &self,
        changed: &[Account],
        mut reopened: HashSet<AccountId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut queue: VecDeque<AccountId> = changed
            .iter()
            .filter(|a| a.kind == AccountKind::Reseller)
            .map(|a| a.id.clone())
            .collect();
        let mut seen = 0usize;
        while let Some(pid) = queue.pop_front() {
            seen += 1;
            if seen > 100_000 {
                break;
            }
            let children = self.store.children_of(&pid).await?;
            let mut by_customer: BTreeMap<CustomerId, ()> = BTreeMap::new();
            let parent_reopened = reopened.contains(&pid);
            for c in children
                .iter()
                .filter(|c| c.closed_at.is_none() || parent_reopened)
            {
                by_customer.insert(c.customer_id.clone(), ());
            }
            for cid in by_customer.into_keys() {
                let summary = match self.store.load_summary(&cid).await {
                    Ok(s) => s.value,
                    Err(StoreError::Destroyed(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                let accounts = self.store.accounts_of(&cid).await?;
                let was_closed: HashSet<AccountId> = accounts
                    .iter()
                    .filter(|a| a.closed_at.is_some())
                    .map(|a| a.id.clone())
                    .collect();
                let reconsider = |a: &Account| {
                    a.parent_id.as_ref().is_some_and(|p| reopened.contains(p))
                        && account::closed_with_parent(a)
                };
                let ch = self
                    .reevaluate_with(&summary, accounts.clone(), now, &reconsider)
                    .await?;
                if !ch.is_empty() {
                    let after = crate::webhooks::merged(&accounts, &ch);
                    let events = crate::webhooks::accounts_changes(
                        &self.policy,
                        &summary,
                        &accounts,
                        &after,
                        now,
                    );
                    self.store.update_accounts(&ch, &events).await?;
                    reopened.extend(
                        ch.iter()
                            .filter(|a| a.closed_at.is_none() && was_closed.contains(&a.id))
                            .map(|a| a.id.clone()),
                    );
                    queue.extend(
                        ch.iter()
                            .filter(|a| a.kind == AccountKind::Reseller)
                            .map(|a| a.id.clone()),
                    );
                }
            }
        }
        Ok(())
    }

    /// Loads a customer, applies `f`, screens it against the current lists, re-decides its
    /// accounts and saves it all at once, retrying when another request changed the customer
    /// in between.
    pub async fn mutate<T>(
        &self,
        id: &CustomerId,
        f: impl FnMut(&mut Customer, &[Account], DateTime<Utc>) -> Result<T>,
    ) -> Result<(T, Customer, Vec<Account>)> {
        let lists = self.screener().await?;
        let (out, c, accounts, _) = self.mutate_with(id, lists.as_ref(), f).await?;
        Ok((out, c, accounts))
    }

    /// [`App::mutate`] against the given lists (none: the cases stay as they are), also
    /// returning what the screening changed.
    pub(crate) async fn mutate_with<T>(
        &self,
        id: &CustomerId,
        lists: Option<&crate::screening::Lists>,
        f: impl FnMut(&mut Customer, &[Account], DateTime<Utc>) -> Result<T>,
    ) -> Result<(T, Customer, Vec<Account>, custos_core::screening::Changes)> {
        self.mutate_reconsidering(id, lists, &|_| false, f).await
    }

    /// [`App::mutate_with`], deciding again too the closed accounts `reconsider` names
    /// once `f` has run (see [`App::reevaluate_with`]), and the sub-accounts closed with
    /// those of them that open again.
    pub(crate) async fn mutate_reconsidering<T>(
        &self,
        id: &CustomerId,
        lists: Option<&crate::screening::Lists>,
        reconsider: &(dyn Fn(&Account) -> bool + Sync),
        mut f: impl FnMut(&mut Customer, &[Account], DateTime<Utc>) -> Result<T>,
    ) -> Result<(T, Customer, Vec<Account>, custos_core::screening::Changes)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.now();
            let loaded = self.store.load_customer(id).await?;
            let mut c = loaded.value;
            let before = c.summary(&self.policy);
            let accounts = self.store.accounts_of(id).await?;
            let out = f(&mut c, &accounts, now)?;
            let changes = match lists {
                Some(l) => self.screen_into(&mut c, l, now),
                None => Default::default(),
            };
            self.detect(&mut c, now).await?;
            let summary = c.summary(&self.policy);
            let changed = self
                .reevaluate_with(&summary, accounts.clone(), now, reconsider)
                .await?;
            let after = crate::webhooks::merged(&accounts, &changed);
            let events = crate::webhooks::customer_changes(
                &self.policy,
                (&before, &accounts),
                (&summary, &after),
                now,
            );
            match self
                .store
                .save_customer(&c, &summary, loaded.version, &changed, &events)
                .await
            {
                Ok(_) => {
                    let reopened = changed
                        .iter()
                        .filter(|a| {
                            a.closed_at.is_none()
                                && accounts
                                    .iter()
                                    .any(|b| b.id == a.id && b.closed_at.is_some())
                        })
                        .map(|a| a.id.clone())
                        .collect();
                    self.cascade_reopening(&changed, reopened, now).await?;
                    self.red_flag_case_after(&summary).await;
                    let mut merged = accounts;
                    for ch in changed {
                        if let Some(slot) = merged.iter_mut().find(|a| a.id == ch.id) {
                            *slot = ch;
                        }
                    }
                    return Ok((out, c, merged, changes));
                }
                Err(StoreError::Conflict(_)) if attempt < RETRIES => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub async fn record_result(
        &self,
        id: &CustomerId,
        subject: Option<SubjectId>,
        result: MethodResult,
    ) -> Result<(Customer, Vec<Account>)> {
        let (_, c, a) = self
            .mutate(id, |c, _, _| {
                let s = c.result_subject(subject.as_ref())?;
                c.record_result(&s, result.clone(), &self.policy)?;
                Ok(())
            })
            .await?;
        Ok((c, a))
    }

    /// A reviewer's decision on a subject, with its reason: recorded (the accounts are
    /// decided again) and audited.
    pub async fn review(
        &self,
        actor: &Actor,
        id: &CustomerId,
        subject: &SubjectId,
        outcome: custos_core::verification::ManualOutcome,
        reason: &str,
    ) -> Result<(Customer, Vec<Account>)> {
        let decision = ManualDecision {
            outcome,
            reason: custos_core::text::free_text("reason", reason)?,
            by: actor.id.clone(),
            at: self.now(),
        };
        let (_, c, a) = self
            .mutate(id, |c, _, _| {
                c.record_manual_decision(subject, decision.clone())?;
                Ok(())
            })
            .await?;
        self.audit(actor, None, "review_subject", &format!("{id}/{subject}"))
            .await?;
        Ok((c, a))
    }

    /// Redress after a failed verification, with why (kept in the sealed record: it may say
    /// what the customer provided); audited.
    pub async fn resubmit(
        &self,
        actor: &Actor,
        id: &CustomerId,
        reason: Option<String>,
    ) -> Result<(Customer, Vec<Account>)> {
        // Every door's: at most 1000 characters, no control characters.
        let reason = reason
            .map(|r| custos_core::text::free_text("reason", &r))
            .transpose()?;
        let policy = self.policy.clone();
        let (_, c, a) = self
            .mutate(id, |c, accounts, now| {
                let risk = policy.risk(&c.summary(&policy), open_accounts(accounts));
                c.resubmit(&policy, risk, reason.clone(), now)?;
                Ok(())
            })
            .await?;
        self.audit(actor, None, "resubmit", id.as_str()).await?;
        Ok((c, a))
    }

    pub async fn report_owner_change(
        &self,
        id: &CustomerId,
        added: Vec<BeneficialOwner>,
        removed: Vec<SubjectId>,
    ) -> Result<(Vec<SubjectId>, Customer, Vec<Account>)> {
        let policy = self.policy.clone();
        let (ids, c, a) = self
            .mutate(id, |c, _, now| {
                let ids: Vec<SubjectId> = added
                    .iter()
                    .map(|_| SubjectId::parse(&new_id(SubjectId::PREFIX)))
                    .collect::<std::result::Result<_, _>>()?;
                let pairs = ids.iter().cloned().zip(added.iter().cloned()).collect();
                c.report_owner_change(pairs, &removed, now, &policy)?;
                Ok(ids)
            })
            .await?;
        Ok((ids, c, a))
    }

    /// Records an access to an account: its last-access time (for retention) and where it came
    /// from (evidence for triage).
    pub async fn record_access(
        &self,
        account_id: &AccountId,
        ip: std::net::IpAddr,
        country: Option<custos_core::Country>,
        at: DateTime<Utc>,
    ) -> Result<Account> {
        // An IPv4-mapped IPv6 address is the IPv4 address it carries, as in the ledger.
        let ip = ip.to_canonical();
        // The reporter's country when it gives one; otherwise the IP-country database's.
        let country = match country {
            Some(c) => c,
            None => {
                let Some(db) = &self.ip_countries else {
                    return Err(CoreError::invalid(
                        "country",
                        "is required: no IP country database is configured (ip_country_db)",
                    )
                    .into());
                };
                let cc = db.country(ip).ok_or_else(|| {
                    CoreError::invalid(
                        "country",
                        "is required: the IP country database does not know this address",
                    )
                })?;
                custos_core::Country::parse(&cc)?
            }
        };
        let acc = self.store.get_account(account_id).await?;
        // Nothing is recorded of an account whose customer's records were destroyed.
        self.store.load_summary(&acc.customer_id).await?;
        // One access is one ledger event, whichever door it came in by: it is durable in the
        // access log before anything else changes.
        if let Some(l) = self.ledger.clone() {
            let e = custos_ledger::Event {
                account_id: acc.id.as_str().to_owned(),
                time: at,
                ip,
                port: None,
                action: custos_ledger::Action::Other,
                source: "accesses".into(),
                actor: None,
                user_agent: None,
                request_id: None,
                ssh_key_fingerprint: None,
            };
            tokio::task::spawn_blocking(move || l.access.append(&[e])).await??;
        }
        let ip = ip.to_string();
        let policy = self.policy.clone();
        let target = acc.id.clone();
        let (_, _, accounts) = self
            .mutate(&acc.customer_id, |c, _, now| {
                c.observe_location(
                    custos_core::LocationObservation {
                        at,
                        ip: ip.clone(),
                        country: country.clone(),
                        account_id: Some(target.clone()),
                    },
                    &policy,
                    now,
                );
                Ok(())
            })
            .await?;
        let mut a = accounts
            .into_iter()
            .find(|a| a.id == acc.id)
            .ok_or_else(|| Error::NotFound(format!("account {}", acc.id)))?;
        if a.last_access_at.is_none_or(|t| t < at) {
            a.last_access_at = Some(at);
            self.store
                .update_accounts(std::slice::from_ref(&a), &[])
                .await?;
        }
        Ok(a)
    }

    /// Records what the control plane reports of an account (resources, monitoring, tags),
    /// which special measures' conditions read; the customer's accounts are re-decided, and
    /// the sub-accounts of any reseller account that changed.
    pub async fn set_profile(
        &self,
        id: &AccountId,
        profile: custos_core::measures::AccountProfile,
    ) -> Result<Account> {
        let now = self.now();
        let a = self.store.get_account(id).await?;
        if a.closed_at.is_some() {
            return Err(CoreError::Conflict(format!("account {id} is closed")).into());
        }
        let summary = self.store.load_summary(&a.customer_id).await?.value;
        let mut accounts = self.store.accounts_of(&a.customer_id).await?;
        for x in accounts.iter_mut().filter(|x| x.id == *id) {
            x.profile = profile.clone();
        }
        let mut changed = self.reevaluate(&summary, accounts.clone(), now).await?;
        let after = crate::webhooks::merged(&accounts, &changed);
        let events =
            crate::webhooks::accounts_changes(&self.policy, &summary, &accounts, &after, now);
        if !changed.iter().any(|x| x.id == *id) {
            changed.extend(accounts.into_iter().filter(|x| x.id == *id));
        }
        self.store.update_accounts(&changed, &events).await?;
        self.cascade(&changed, now).await?;
        changed
            .into_iter()
            .find(|x| x.id == *id)
            .ok_or_else(|| Error::NotFound(format!("account {id}")))
    }

    pub async fn close_account(&self, id: &AccountId, reason: &str) -> Result<Account> {
        self.close_account_as(id, reason, account::close_on_request)
            .await
    }

    /// Closes an account for abuse (on an abuse case): its reason says so.
    pub(crate) async fn close_account_for_abuse(
        &self,
        id: &AccountId,
        reason: &str,
    ) -> Result<Account> {
        self.close_account_as(id, reason, account::close_for_abuse)
            .await
    }

    async fn close_account_as(
        &self,
        id: &AccountId,
        reason: &str,
        close: fn(
            &mut custos_core::Account,
            &str,
            DateTime<Utc>,
        ) -> std::result::Result<(), custos_core::CoreError>,
    ) -> Result<Account> {
        let now = self.now();
        let mut a = self.store.get_account(id).await?;
        let before = self.store.accounts_of(&a.customer_id).await?;
        close(&mut a, reason, now)?;
        let after = crate::webhooks::merged(&before, std::slice::from_ref(&a));
        let events = match self.store.load_summary(&a.customer_id).await {
            Ok(s) => {
                crate::webhooks::accounts_changes(&self.policy, &s.value, &before, &after, now)
            }
            // A destroyed customer has no verification state left to change.
            Err(StoreError::Destroyed(_)) => crate::webhooks::account_changes(&before, &after, now),
            Err(e) => return Err(e.into()),
        };
        self.store
            .update_accounts(std::slice::from_ref(&a), &events)
            .await?;
        self.cascade(std::slice::from_ref(&a), now).await?;
        self.revoke_keys_of(id).await?;
        Ok(a)
    }

    /// Revokes the reseller keys scoped to `account`, which was just closed (on request, or by
    /// terminating the relationship): what hangs off it ends with it. Keys of reseller accounts
    /// closed with it, or closed by a screening match that may be reversed, are refused while
    /// their account is closed (`custos_server::auth::reseller_access`), not revoked. Returns the keys revoked.
    pub async fn revoke_keys_of(&self, account: &AccountId) -> Result<Vec<String>> {
        let mut revoked = vec![];
        for k in self.store.list_api_keys().await? {
            if k.revoked_at.is_some() || k.scope.as_deref() != Some(account.as_str()) {
                continue;
            }
            self.store.revoke_api_key(&k.id, self.now()).await?;
            self.audit(
                &Actor {
                    id: "system".into(),
                    role: "admin".into(),
                },
                None,
                "revoke_api_key",
                &k.id,
            )
            .await?;
            revoked.push(k.id);
        }
        Ok(revoked)
    }

    pub async fn place_hold(
        &self,
        id: &CustomerId,
        reason: String,
        reference: Option<String>,
        actor: &Actor,
    ) -> Result<LegalHold> {
        // A hold on records already destroyed would preserve nothing: 410, as every write.
        self.store.load_summary(id).await?;
        let hold = LegalHold {
            id: new_id("hold_"),
            reason,
            reference,
            placed_by: actor.id.clone(),
            placed_at: self.now(),
            released_by: None,
            released_at: None,
            expires_at: None,
        };
        self.store.place_hold(id, &hold).await?;
        self.audit(
            actor,
            None,
            "place_legal_hold",
            &format!("{id}/{}", hold.id),
        )
        .await?;
        Ok(hold)
    }

    pub async fn release_hold(
        &self,
        id: &CustomerId,
        hold_id: &str,
        actor: &Actor,
    ) -> Result<LegalHold> {
        let h = self
            .store
            .release_hold(id, hold_id, &actor.id, self.now())
            .await?;
        self.audit(
            actor,
            None,
            "release_legal_hold",
            &format!("{id}/{hold_id}"),
        )
        .await?;
        Ok(h)
    }

    /// Reads a customer's personal data. The read is audited first: if the audit entry cannot
    /// be written, nothing is read.
    pub async fn read_customer(
        &self,
        id: &CustomerId,
        actor: &Actor,
        purpose: &str,
    ) -> Result<(Customer, Vec<Account>, Vec<LegalHold>)> {
        // Refuse unknown ids before auditing, so the audit trail records real reads.
        self.store.load_summary(id).await?;
        self.audit(actor, Some(purpose), "read_customer", id.as_str())
            .await?;
        let c = self.store.load_customer(id).await?.value;
        let accounts = self.store.accounts_of(id).await?;
        let holds = self.store.holds(id).await?;
        Ok((c, accounts, holds))
    }

    /// Whether an account's decision is a plain approval.
    pub fn approved(a: &Account) -> bool {
        a.decision.decision == Decision::Approve
    }
}
