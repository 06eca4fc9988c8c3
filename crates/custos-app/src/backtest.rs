//! Backtesting red-flag rules: a candidate `[detection]` section run over every stored
//! customer beside the rules in use, changing nothing. For each rule, on how many customers it
//! fires now and would fire (on the customer's facts or any of its open accounts); for each
//! open account whose decision would change, from what to what. The facts are drawn as the
//! rules in use draw them (the sealed records, the reference lists, the blind indexes, the
//! ledger), so the whole run is one read of personal data: audited once, before anything is
//! read.

use std::collections::BTreeMap;
use std::sync::Arc;

use custos_core::detection::DetectionPolicy;
use custos_core::{AccountId, AccountStatus, CustomerId, Decision};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::service::{Actor, App, CustomerPages};

/// The most changed decisions a backtest lists (all are counted).
pub const MAX_CHANGES: usize = 1000;

/// One rule: on how many customers it fires with the rules in use, and with the candidate.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub now: usize,
    pub candidate: usize,
}

/// An open account whose decision the candidate would change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub from: (Decision, AccountStatus),
    pub to: (Decision, AccountStatus),
}

/// What a candidate rule set would do.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub customers: usize,
    pub open_accounts: usize,
    /// Every rule of either set, in id order.
    pub rules: Vec<RuleCount>,
    /// How many open accounts' decisions would change.
    pub changed: usize,
    /// The first [`MAX_CHANGES`] of them.
    pub changes: Vec<Change>,
}

impl App {
    /// Runs `candidate` beside the rules in use over every customer; changes nothing.
    /// `progress` is told how many customers are done, after each.
    pub async fn backtest_rules(
        &self,
        actor: &Actor,
        candidate: &DetectionPolicy,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Backtest> {
        let detector = candidate
            .check()
            .map_err(|why| Error::invalid("detection", &why))?;
        self.audit(
            actor,
            Some("backtest of candidate red-flag rules"),
            "backtest_rules",
            "every customer",
        )
        .await?;
        let mut alt = self.clone();
        alt.detector = Arc::new(detector);
        let now = self.now();
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let (mut customers, mut open, mut changed, mut changes) = (0, 0, 0, vec![]);
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(&**self.store()).await? {
            for id in ids {
                let c = match self.store().load_customer(&id).await {
                    Ok(c) => c.value,
                    // Destroyed meanwhile: nothing to test.
                    Err(
                        custos_store::StoreError::NotFound(_)
                        | custos_store::StoreError::Destroyed(_),
                    ) => {
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                customers += 1;
                let facts = self.facts(&c, now).await?;
                let accounts: Vec<custos_core::Account> = self
                    .store()
                    .accounts_of(&id)
                    .await?
                    .into_iter()
                    .filter(|a| a.closed_at.is_none())
                    .collect();
                open += accounts.len();
                let cleared = c.detection.as_ref().and_then(|d| d.cleared.clone());
                let mut decided = vec![];
                for (app, side) in [(self, 0usize), (&alt, 1usize)] {
                    let mut cd = app.detector.customer(&facts, now);
                    cd.cleared = cleared.clone();
                    let mut fired: std::collections::BTreeSet<String> =
                        cd.fired.iter().map(|f| f.rule.clone()).collect();
                    for a in &accounts {
                        let af = custos_core::measures::AccountFacts::new(
                            a.id.as_str(),
                            a.kind,
                            a.offering,
                            0,
                            &a.profile,
                        );
                        fired.extend(
                            app.detector
                                .account(&cd, &af)
                                .fired
                                .into_iter()
                                .map(|f| f.rule),
                        );
                    }
                    for r in fired {
                        let e = counts.entry(r).or_default();
                        if side == 0 {
                            e.0 += 1;
                        } else {
                            e.1 += 1;
                        }
                    }
                    let mut summary = c.summary(&self.policy);
                    summary.detection = (!app.detector.is_empty()).then_some(cd);
                    let redecided = app.reevaluate(&summary, accounts.clone(), now).await?;
                    decided.push(
                        accounts
                            .iter()
                            .map(|a| {
                                let d = redecided
                                    .iter()
                                    .find(|x| x.id == a.id)
                                    .map_or(&a.decision, |x| &x.decision);
                                (d.decision, d.account_status)
                            })
                            .collect::<Vec<_>>(),
                    );
                }
                for (i, a) in accounts.iter().enumerate() {
                    if decided[0][i] != decided[1][i] {
                        changed += 1;
                        if changes.len() < MAX_CHANGES {
                            changes.push(Change {
                                account_id: a.id.clone(),
                                customer_id: a.customer_id.clone(),
                                from: decided[0][i],
                                to: decided[1][i],
                            });
                        }
                    }
                }
                progress(customers);
            }
        }
        Ok(Backtest {
            customers,
            open_accounts: open,
            rules: counts
                .into_iter()
                .map(|(rule, (now, candidate))| RuleCount {
                    rule,
                    now,
                    candidate,
                })
                .collect(),
            changed,
            changes,
        })
    }
}
