//! Retention: what is due is destroyed (crypto-shredded), unless held; the ledger's part (the
//! purge of the accounts' events, the retiring of the keys that wrapped what was destroyed) is
//! done by the process that holds the ledger, from the queue this leaves.

use chrono::{DateTime, Utc};
use custos_core::retention::{self, Verdict};
use custos_core::{AccountId, CustomerId};
use custos_store::{StoreError, Tombstone};

use crate::error::Result;
use crate::service::{Actor, App, CustomerPages};

/// The outcome of a retention run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RetentionReport {
    pub examined: u64,
    pub destroyed: Vec<Tombstone>,
    /// Customers that are due but kept by legal holds, with the hold ids.
    pub held: Vec<(CustomerId, Vec<String>)>,
    /// Ledger events whose payloads were purged by this run (or, in a dry run, would be);
    /// their leaf hashes stay.
    pub ledger_events_purged: u64,
    /// Accounts whose ledger events wait to be purged by the process that holds the ledger
    /// (a running server does it within its maintenance interval).
    pub ledger_purges_waiting: u64,
    /// Key-encryption keys retired by this run: nothing they wrapped can be unwrapped again.
    pub keys_retired: Vec<String>,
    /// Whether the retiring of the keys that wrapped what was destroyed waits for the process
    /// that holds the ledger.
    pub keys_retirement_waiting: bool,
    /// Whether `ledger_events_purged` could be counted: a dry run while a server holds the
    /// ledger cannot read it.
    pub ledger_counted: bool,
}

/// What the ledger's owner did of the work retention queued.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RetentionWorkDone {
    pub accounts_purged: u64,
    /// Accounts whose purge waits because a legal hold now covers their customer.
    pub accounts_held: u64,
    pub ledger_events_purged: u64,
    pub keys_retired: Vec<String>,
}

impl App {
    /// Destroys what retention says is due, unless held; `dry_run` only reports.
    pub async fn retention_run(
        &self,
        now: DateTime<Utc>,
        dry_run: bool,
        actor: &Actor,
        mut progress: impl FnMut(u64),
    ) -> Result<RetentionReport> {
        use custos_store::RetentionWork;
        let mut report = RetentionReport::default();
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for id in ids {
                report.examined += 1;
                progress(report.examined);
                let summary = self.store.load_summary(&id).await?.value;
                let accounts = self.store.accounts_of(&id).await?;
                let holds = self.store.holds(&id).await?;
                match retention::verdict(
                    summary.created_at,
                    &accounts,
                    &holds,
                    &self.policy,
                    now,
                    self.now(),
                ) {
                    // The customer stays, but an account of it closed long enough ago loses
                    // its ledger events' payloads, unless a legal hold keeps them.
                    Verdict::Keep if holds.iter().all(|h| !h.in_force(self.now())) => {
                        let due: Vec<AccountId> = accounts
                            .iter()
                            .filter(|a| {
                                retention::account_due_at(a, &self.policy).is_some_and(|d| d <= now)
                            })
                            .map(|a| a.id.clone())
                            .collect();
                        if due.is_empty() {
                            continue;
                        }
                        if dry_run {
                            report.ledger_events_purged += self.purge_ledger(&due, false).await?;
                        } else {
                            let ids: Vec<String> =
                                due.iter().map(|a| a.as_str().to_owned()).collect();
                            self.store
                                .queue_work(RetentionWork::LedgerPurge, &ids, self.now(), false)
                                .await?;
                        }
                    }
                    Verdict::Keep => {}
                    Verdict::Held(h) => report.held.push((id, h)),
                    Verdict::Destroy if dry_run => {
                        report.ledger_events_purged += self
                            .purge_ledger(
                                &accounts.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
                                false,
                            )
                            .await?;
                        report.destroyed.push(Tombstone {
                            customer_id: id,
                            destroyed_at: now,
                            reason: "due (dry run)".into(),
                            accounts: accounts.iter().map(|a| a.id.clone()).collect(),
                            index_entries_removed: 0,
                        });
                    }
                    Verdict::Destroy => {
                        // The ledger's part is queued first, so that it is done even if this
                        // process stops before it gets there (or holds no ledger).
                        let ids: Vec<String> =
                            accounts.iter().map(|a| a.id.as_str().to_owned()).collect();
                        self.store
                            .queue_work(RetentionWork::LedgerPurge, &ids, self.now(), true)
                            .await?;
                        self.store
                            .queue_work(
                                RetentionWork::RetireKeys,
                                &[String::new()],
                                self.now(),
                                true,
                            )
                            .await?;
                        // Destroyed now; `now` (which may be `--as-of`) only decided that it
                        // was due.
                        let reason = if now == self.now() {
                            "retention period ended".to_owned()
                        } else {
                            format!("retention period ended (as of {})", now.to_rfc3339())
                        };
                        let t = self
                            .store
                            .destroy_customer(&id, self.now(), &reason)
                            .await?;
                        self.audit(actor, Some(&reason), "destroy_customer", id.as_str())
                            .await?;
                        report.destroyed.push(t);
                    }
                }
            }
        }
        report.ledger_counted = self.ledger.is_some() || !dry_run;
        if !dry_run {
            let done = self.retention_work(actor).await?;
            report.ledger_events_purged += done.ledger_events_purged;
            report.keys_retired = done.keys_retired;
        }
        // What waits (from this run, or left by one that stopped halfway).
        report.ledger_purges_waiting = self
            .store
            .pending_work(RetentionWork::LedgerPurge, u32::MAX)
            .await?
            .len() as u64;
        report.keys_retirement_waiting = !self
            .store
            .pending_work(RetentionWork::RetireKeys, 1)
            .await?
            .is_empty();
        Ok(report)
    }

    /// Does the work retention queued, if this process holds the ledger (a running server
    /// calls it on a timer; a command that holds the ledger, after its retention run): purges
    /// the ledger events of every account queued, then retires the key-encryption keys that
    /// wrapped destroyed data keys ([`custos_store::Store::shred_keys`]). Without the ledger it
    /// does nothing: the work waits for the process that has it.
    pub async fn retention_work(&self, actor: &Actor) -> Result<RetentionWorkDone> {
        use custos_store::RetentionWork;
        let mut done = RetentionWorkDone::default();
        if self.ledger.is_none() {
            return Ok(done);
        }
        // The work pending now, once: work queued while this runs waits for the next round,
        // so a stream of late events cannot keep this from the rest of the maintenance.
        let due = self
            .store
            .pending_work(RetentionWork::LedgerPurge, u32::MAX)
            .await?;
        for (subject, generation) in due {
            let Ok(account) = AccountId::parse(&subject) else {
                self.store
                    .work_done(
                        RetentionWork::LedgerPurge,
                        &subject,
                        generation,
                        self.now(),
                        0,
                    )
                    .await?;
                continue;
            };
            // A legal hold placed since the purge was queued keeps the events: the work waits
            // until the hold is released.
            if self.account_held(&account).await? {
                done.accounts_held += 1;
                continue;
            }
            let n = self.purge_ledger(&[account], true).await?;
            self.store
                .work_done(
                    RetentionWork::LedgerPurge,
                    &subject,
                    generation,
                    self.now(),
                    i64::try_from(n).unwrap_or(i64::MAX),
                )
                .await?;
            done.accounts_purged += 1;
            done.ledger_events_purged += n;
        }
        if let Some((_, generation)) = self
            .store
            .pending_work(RetentionWork::RetireKeys, 1)
            .await?
            .pop()
        {
            let gone = self.store.shred_keys().await?;
            // Keys destroyed while these were retired wait for the next round.
            self.store
                .work_done(
                    RetentionWork::RetireKeys,
                    "",
                    generation,
                    self.now(),
                    gone.len() as i64,
                )
                .await?;
            self.audit(actor, None, "retire_keys", &gone.join(","))
                .await?;
            done.keys_retired = gone;
        }
        Ok(done)
    }

    /// After events were appended for these (known) accounts: those whose ledger events
    /// retention purged, or is purging, are queued again, so that the late events are purged
    /// in turn by the ledger's owner.
    pub async fn events_appended(&self, accounts: &[String]) -> Result<()> {
        self.store
            .requeue_done(
                custos_store::RetentionWork::LedgerPurge,
                accounts,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Whether a legal hold in force covers the customer of this account.
    async fn account_held(&self, account: &AccountId) -> Result<bool> {
        let a = match self.store.get_account(account).await {
            Ok(a) => a,
            Err(StoreError::NotFound(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        Ok(self
            .store
            .holds(&a.customer_id)
            .await?
            .iter()
            .any(|h| h.in_force(self.now())))
    }

    /// The ledger events of these accounts: purged (their payloads; the leaf hashes stay) when
    /// `purge`, counted otherwise. Returns how many.
    async fn purge_ledger(&self, accounts: &[AccountId], purge: bool) -> Result<u64> {
        let Some(l) = self.ledger.clone() else {
            return Ok(0);
        };
        let ids: Vec<String> = accounts.iter().map(|a| a.as_str().to_owned()).collect();
        Ok(tokio::task::spawn_blocking(
            move || -> std::result::Result<u64, custos_ledger::LedgerError> {
                let mut found = vec![];
                for a in &ids {
                    let (events, _) = custos_ledger::query::account_events(
                        &l.access,
                        a,
                        DateTime::<Utc>::MIN_UTC,
                        DateTime::<Utc>::MAX_UTC,
                        usize::MAX,
                    )?;
                    found.extend(events.into_iter().map(|f| f.index));
                }
                if purge {
                    l.access.purge(&found)
                } else {
                    Ok(found.len() as u64)
                }
            },
        )
        .await??)
    }
}
