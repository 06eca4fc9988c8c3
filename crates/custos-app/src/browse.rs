//! Finding what exists: pages of customers, accounts, screening cases, designations, legal
//! holds and API keys, filtered, in a stable order (by id), with one paging scheme for all.
//!
//! A page holds up to `limit` items ([`MAX_LIMIT`] at most). When more follow, `has_more` is
//! true and `next_cursor` is an opaque cursor: send it back as `starting_after` for the next
//! page. A cursor belongs to its list (another list's is refused). Filters that depend on the
//! policy (a customer's risk and verification state, an account's decision) are applied while
//! reading: a page reads at most [`SCAN`] records, so it may hold fewer than `limit` items and
//! still have more after it; follow `next_cursor` until it is absent. None of these lists
//! holds personal data, and none filters on it: that is the audited search's
//! ([`App::search_customers`]).

use custos_core::customer::CustomerSummary;
use custos_core::verification::VerificationState;
use custos_core::{Account, AccountId, CustomerId, Decision, LegalHold, RiskLevel};
use serde::Serialize;

use crate::App;
use crate::error::{Error, Result};

pub use custos_store::{AccountQuery, CustomerQuery, HoldQuery};

/// The most items a page holds.
pub const MAX_LIMIT: u32 = 100;
/// The items a page holds when no `limit` is given.
pub const DEFAULT_LIMIT: u32 = 20;
/// The most records a page reads to fill itself, when filters are applied while reading.
pub const SCAN: usize = 1000;

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// How many items a page asked for holds: `limit` checked against [`MAX_LIMIT`].
pub fn limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid("limit", format!("must be 1 to {MAX_LIMIT}"))),
    }
}

fn not_a_cursor() -> Error {
    Error::invalid("starting_after", "is not a cursor of this list")
}

/// [`limit`] for a list that kept a larger page from before (the review queue and the audit
/// trail: 1 to 1,000, default 100, as they always had).
pub fn limit_within(limit: Option<u32>, default: u32, max: u32) -> Result<u32> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid("limit", format!("must be 1 to {max}"))),
    }
}

/// The lists, each with cursors of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Customers,
    Accounts,
    ScreeningCases,
    Designations,
    LegalHolds,
    ApiKeys,
    /// An account's events in the ledger, in time order.
    AccountEvents,
    WebhookDeliveries,
    WebhookEndpoints,
    /// Accounts that need action.
    NeedingAction,
    /// The audit trail, in its order.
    Audit,
}

impl List {
    fn tag(self) -> &'static str {
        match self {
            List::Customers => "cus",
            List::Accounts => "acc",
            List::ScreeningCases => "scr",
            List::Designations => "des",
            List::LegalHolds => "hold",
            List::ApiKeys => "key",
            List::AccountEvents => "evt",
            List::WebhookDeliveries => "whd",
            List::WebhookEndpoints => "we",
            List::NeedingAction => "act",
            List::Audit => "aud",
        }
    }

    /// The cursor of a page that ends at `key`.
    pub fn cursor(self, key: &str) -> String {
        hex::encode(format!("{}:{key}", self.tag()))
    }

    /// The key a cursor of this list ends at.
    pub fn key(self, cursor: &str) -> Result<String> {
        let bad = not_a_cursor;
        let raw = hex::decode(cursor).map_err(|_| bad())?;
        let s = String::from_utf8(raw).map_err(|_| bad())?;
        let (tag, key) = s.split_once(':').ok_or_else(bad)?;
        if tag != self.tag() || key.is_empty() || key.len() > 200 {
            return Err(bad());
        }
        Ok(key.to_owned())
    }
}

/// Reads a list in key order after a cursor, keeping the records a filter accepts, until a
/// page is full, the list ends or [`SCAN`] records were read. The caller fetches: `want()`
/// records after `after()`, handed to `take`, until `take` gives the page.
#[derive(Debug)]
pub struct Scan<T> {
    list: List,
    limit: usize,
    after: Option<String>,
    data: Vec<T>,
    scanned: usize,
}

impl<T> Scan<T> {
    pub fn new(list: List, limit: u32, starting_after: Option<&str>) -> Result<Self> {
        Ok(Scan {
            list,
            limit: limit as usize,
            after: starting_after.map(|c| list.key(c)).transpose()?,
            data: Vec::new(),
            scanned: 0,
        })
    }

    /// How many records to fetch next.
    pub fn want(&self) -> u32 {
        (self.limit + 1 - self.data.len())
            .max(50)
            .min(SCAN - self.scanned) as u32
    }

    /// The key the next fetch starts after.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// Takes a batch of up to `want()` records; gives the page once it is done.
    pub fn take(
        &mut self,
        batch: Vec<T>,
        key: impl Fn(&T) -> String,
        keep: impl Fn(&T) -> bool,
    ) -> Option<Page<T>> {
        let end = batch.len() < self.want() as usize;
        for item in batch {
            self.scanned += 1;
            let k = key(&item);
            if keep(&item) {
                if self.data.len() == self.limit {
                    let next = self.data.last().map(|d| self.list.cursor(&key(d)));
                    return Some(Page {
                        data: std::mem::take(&mut self.data),
                        has_more: true,
                        next_cursor: next,
                    });
                }
                self.data.push(item);
            }
            self.after = Some(k);
        }
        if end {
            return Some(Page {
                data: std::mem::take(&mut self.data),
                has_more: false,
                next_cursor: None,
            });
        }
        if self.scanned >= SCAN {
            return Some(Page {
                data: std::mem::take(&mut self.data),
                has_more: true,
                next_cursor: self.after.as_ref().map(|a| self.list.cursor(a)),
            });
        }
        None
    }
}

/// A page of a list held whole in memory (designations, API keys: a few hundred at most).
pub fn page_of<T>(
    list: List,
    mut all: Vec<T>,
    key: impl Fn(&T) -> String,
    starting_after: Option<&str>,
    limit: u32,
) -> Result<Page<T>> {
    let after = starting_after.map(|c| list.key(c)).transpose()?;
    all.sort_by_key(|t| key(t));
    if let Some(a) = after {
        all.retain(|t| key(t) > a);
    }
    let has_more = all.len() > limit as usize;
    all.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| all.last().map(|t| list.cursor(&key(t))))
        .flatten();
    Ok(Page {
        data: all,
        has_more,
        next_cursor,
    })
}

/// Which customers: what the store filters, and what depends on the policy.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub stored: CustomerQuery,
    /// The customer's verification state as a whole
    /// ([`custos_core::status::customer_state`]).
    pub state: Option<VerificationState>,
    pub risk: Option<RiskLevel>,
    /// Whether every subject is a US person (no verification needed), or not.
    pub us_person: Option<bool>,
}

/// Which audit entries: by who, what, which record, why, and when.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The person's email or the key's id, exactly.
    pub actor: Option<String>,
    /// A record id, contained in the entry's record (`cus_…` finds `cus_…/hold_…`).
    pub record: Option<String>,
    /// Words the stated purpose contains (case-insensitive).
    pub purpose: Option<String>,
    /// The action, exactly (`read_customer`) or its words (`read customer`).
    pub action: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

impl AuditFilter {
    pub fn matches(&self, e: &custos_store::AuditEntry) -> bool {
        self.actor.as_ref().is_none_or(|a| e.actor == *a)
            && self
                .record
                .as_ref()
                .is_none_or(|r| e.record.contains(r.as_str()))
            && self.purpose.as_ref().is_none_or(|p| {
                e.purpose
                    .as_deref()
                    .is_some_and(|x| x.to_lowercase().contains(&p.to_lowercase()))
            })
            && self
                .action
                .as_ref()
                .is_none_or(|a| e.action == a.trim().replace(' ', "_"))
            && self.from.is_none_or(|t| e.at >= t)
            && self.to.is_none_or(|t| e.at < t)
    }
}

/// Which accounts of the review queue (those needing action).
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// One of the decision's reason codes.
    pub reason: Option<custos_core::ReasonCode>,
    pub status: Option<custos_core::AccountStatus>,
    pub risk: Option<RiskLevel>,
    /// The reseller account it is opened under (directly).
    pub reseller: Option<AccountId>,
    /// Waiting (for verification, or since opening) since before this time.
    pub waiting_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Newest first; by default the oldest first (the order accounts were opened in).
    pub newest_first: bool,
}

impl QueueFilter {
    pub fn matches(&self, a: &Account) -> bool {
        self.reason
            .is_none_or(|r| a.decision.reasons.iter().any(|x| x.code == r))
            && self.status.is_none_or(|s| a.status() == s)
            && self.risk.is_none_or(|r| a.decision.risk == r)
            && self
                .reseller
                .as_ref()
                .is_none_or(|r| a.parent_id.as_ref() == Some(r))
            && self
                .waiting_before
                .is_none_or(|t| a.pending_since.unwrap_or(a.opened_at) < t)
    }
}

/// Which accounts.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub stored: AccountQuery,
    pub decision: Option<Decision>,
}

impl App {
    /// A page of customers, each with its accounts.
    pub async fn list_customers(
        &self,
        f: &CustomerFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<(CustomerSummary, Vec<Account>)>> {
        let store = self.store();
        let mut scan = Scan::new(List::Customers, limit, starting_after)?;
        loop {
            let after = scan
                .after()
                .map(|a| CustomerId::parse(a).map_err(|_| not_a_cursor()))
                .transpose()?;
            let mut batch = vec![];
            for s in store
                .customers_page(&f.stored, after.as_ref(), scan.want())
                .await?
            {
                let accounts = store.accounts_of(&s.id).await?;
                batch.push((s, accounts));
            }
            let page = scan.take(
                batch,
                |(s, _)| s.id.as_str().to_owned(),
                |(s, accounts)| {
                    let (risk, subjects) =
                        custos_core::status::subjects(self.policy(), s, accounts);
                    f.risk.is_none_or(|r| r == risk)
                        && f.us_person.is_none_or(|u| u == s.all_us_persons())
                        && f.state
                            .is_none_or(|st| st == custos_core::status::customer_state(&subjects))
                },
            );
            if let Some(p) = page {
                return Ok(p);
            }
        }
    }

    /// A page of accounts.
    pub async fn list_accounts(
        &self,
        f: &AccountFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Account>> {
        let mut scan = Scan::new(List::Accounts, limit, starting_after)?;
        loop {
            let after = scan
                .after()
                .map(|a| AccountId::parse(a).map_err(|_| not_a_cursor()))
                .transpose()?;
            let batch = self
                .store()
                .accounts_page(&f.stored, after.as_ref(), scan.want())
                .await?;
            let page = scan.take(
                batch,
                |a| a.id.as_str().to_owned(),
                |a| f.decision.is_none_or(|d| d == a.decision.decision),
            );
            if let Some(p) = page {
                return Ok(p);
            }
        }
    }

    /// A page of legal holds, each with its customer.
    pub async fn list_holds(
        &self,
        q: &HoldQuery,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<(CustomerId, LegalHold)>> {
        let mut scan = Scan::new(List::LegalHolds, limit, starting_after)?;
        loop {
            let batch = self
                .store()
                .holds_page(q, scan.after(), scan.want())
                .await?;
            if let Some(p) = scan.take(batch, |(_, h)| h.id.clone(), |_| true) {
                return Ok(p);
            }
        }
    }

    /// A page of the accounts that need action (the review queue).
    pub async fn list_needing_action(
        &self,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Account>> {
        self.queue(&QueueFilter::default(), starting_after, limit)
            .await
    }

    /// A page of the review queue, filtered.
    pub async fn queue(
        &self,
        f: &QueueFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Account>> {
        let mut scan = Scan::new(List::NeedingAction, limit, starting_after)?;
        loop {
            let after = scan
                .after()
                .map(|a| AccountId::parse(a).map_err(|_| not_a_cursor()))
                .transpose()?;
            let batch = if f.newest_first {
                self.store()
                    .accounts_needing_action_newest(after.as_ref(), scan.want())
                    .await?
            } else {
                self.store()
                    .accounts_needing_action(after.as_ref(), scan.want())
                    .await?
            };
            if let Some(p) = scan.take(batch, |a| a.id.as_str().to_owned(), |a| f.matches(a)) {
                return Ok(p);
            }
        }
    }

    /// A page of the audit trail, in its order.
    pub async fn list_audit(
        &self,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<custos_store::AuditRecord>> {
        self.search_audit(&AuditFilter::default(), starting_after, limit)
            .await
    }

    /// A page of the audit trail's entries that match, in its order (each page reads at most
    /// [`SCAN`] entries).
    pub async fn search_audit(
        &self,
        f: &AuditFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<custos_store::AuditRecord>> {
        let mut scan = Scan::new(List::Audit, limit, starting_after)?;
        loop {
            let after = match scan.after() {
                None => 0,
                Some(a) => a.parse().map_err(|_| not_a_cursor())?,
            };
            let batch = self.store().audit_entries(after, scan.want()).await?;
            if let Some(p) = scan.take(batch, |e| e.seq.to_string(), |e| f.matches(&e.entry)) {
                return Ok(p);
            }
        }
    }

    /// A page of screening cases, optionally in one state.
    pub async fn list_screening_cases(
        &self,
        state: Option<custos_core::screening::CaseState>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<custos_store::StoredCase>> {
        self.screening_queue(state, None, starting_after, limit)
            .await
    }

    /// A page of screening cases, optionally in one state and against one list.
    pub async fn screening_queue(
        &self,
        state: Option<custos_core::screening::CaseState>,
        list: Option<&str>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<custos_store::StoredCase>> {
        let mut scan = Scan::new(List::ScreeningCases, limit, starting_after)?;
        loop {
            let batch = self
                .store()
                .screening_cases(state, scan.after(), scan.want())
                .await?;
            let keep = |c: &custos_store::StoredCase| list.is_none_or(|l| c.case.list == l);
            if let Some(p) = scan.take(batch, |c| c.case.id.clone(), keep) {
                return Ok(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of `1..=2500` keeping multiples of `every`, as a caller drives [`Scan`].
    fn pages(every: u32, limit: u32) -> Vec<(Vec<u32>, bool)> {
        let key = |n: &u32| format!("{n:05}");
        let mut out = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let mut scan = Scan::new(List::Accounts, limit, cursor.as_deref()).unwrap();
            let page = loop {
                let after: u32 = scan.after().map_or(0, |a| a.parse().unwrap());
                let batch: Vec<u32> = (after + 1..=2500).take(scan.want() as usize).collect();
                if let Some(p) = scan.take(batch, key, |n| n % every == 0) {
                    break p;
                }
            };
            out.push((page.data, page.has_more));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    #[test]
    fn a_page_stops_at_its_limit_or_its_reading_budget() {
        // Many matches: full pages, the last one short.
        let p = pages(1, 1000);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].0.len(), 1000);
        assert_eq!(p[2], ((2001..=2500).collect(), false));
        // A page may be empty and still have more after it: its budget was read through.
        let p = pages(1250, 2);
        assert_eq!(
            p,
            vec![(vec![], true), (vec![1250], true), (vec![2500], false)]
        );
        // Few matches: a page ends where its reading budget did, and says more may follow.
        let p = pages(700, 5);
        assert_eq!(
            p,
            vec![(vec![700], true), (vec![1400], true), (vec![2100], false)]
        );
        let all: Vec<u32> = pages(7, 10).into_iter().flat_map(|(d, _)| d).collect();
        assert_eq!(all, (1..=2500).filter(|n| n % 7 == 0).collect::<Vec<_>>());
    }

    #[test]
    fn a_cursor_is_its_lists_own() {
        let c = List::Customers.cursor("cus_1");
        assert_eq!(List::Customers.key(&c).unwrap(), "cus_1");
        for bad in [
            List::Accounts.key(&c),
            List::Customers.key("zz"),
            List::Customers.key(""),
        ] {
            assert!(
                matches!(bad, Err(Error::Validation { field: Some(ref f), .. }) if f == "starting_after")
            );
        }
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
    }
}
