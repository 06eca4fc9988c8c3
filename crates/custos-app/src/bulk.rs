//! Customers brought over in bulk: a migration from the system a provider used before (and the
//! benchmarks' seeds), each customer with its accounts, decided as opening decides them.

use chrono::{DateTime, Utc};
use custos_core::account::{self, Evaluation};
use custos_core::customer::CustomerSummary;
use custos_core::{
    Account, AccountDecision, AccountId, AccountKind, AccountStatus, Customer, Decision, Offering,
    RiskLevel,
};

use crate::service::{App, NewAccount, Result, new_id};

/// A new account with its opening decision: closed when refused, pending from `now` while it
/// waits for verification.
pub(crate) fn opened_account(
    id: AccountId,
    req: NewAccount,
    decision: AccountDecision,
    now: DateTime<Utc>,
) -> Account {
    let closed = decision.account_status == AccountStatus::Closed;
    let pending = decision.decision == Decision::Pending;
    Account {
        id,
        customer_id: req.customer_id,
        kind: req.kind,
        offering: req.offering,
        parent_id: req.parent_id,
        opened_at: now,
        closed_at: closed.then_some(now),
        close_reason: closed.then(|| "refused at opening".to_owned()),
        last_access_at: None,
        pending_since: pending.then_some(now),
        profile: Default::default(),
        pending_history: vec![],
        abuse_holds: vec![],
        decision,
    }
}

impl App {
    /// Stores customers brought over in bulk, in one write: each screened against the current
    /// lists (if any), with its accounts (top-level, none under a reseller) decided at the
    /// risk they make together, as opening them one after the other would end. A migration
    /// brings customers the provider already has: their sign-ups are not put to the red-flag
    /// rules again, and no webhook events are sent for them.
    pub async fn import_customers(
        &self,
        batch: Vec<(Customer, Vec<(AccountKind, Offering)>)>,
    ) -> Result<()> {
        let now = self.now();
        let lists = self.screener().await?;
        let mut rows: Vec<(Customer, CustomerSummary, Vec<Account>)> =
            Vec::with_capacity(batch.len());
        for (mut c, wanted) in batch {
            for (kind, _) in &wanted {
                account::check_new(*kind, None, self.policy())?;
            }
            if let Some(l) = &lists {
                self.screen_into(&mut c, l, now);
            }
            let summary = c.summary(self.policy());
            let risk: RiskLevel = self.policy().risk(&summary, wanted.iter().copied());
            let accounts = wanted
                .into_iter()
                .map(|(kind, offering)| {
                    let id = AccountId::parse(&new_id(AccountId::PREFIX))?;
                    let decision = account::evaluate(&Evaluation {
                        policy: self.policy(),
                        customer: &summary,
                        risk,
                        account_id: &id,
                        kind,
                        offering,
                        profile: &Default::default(),
                        exemptions: &[],
                        parent: None,
                        opened_at: None,
                        pending_since: None,
                        now,
                        detector: Some(&self.detector),
                        abuse_hold: None,
                    });
                    let req = NewAccount {
                        customer_id: c.id.clone(),
                        kind,
                        offering,
                        parent_id: None,
                    };
                    Ok(opened_account(id, req, decision, now))
                })
                .collect::<Result<Vec<_>>>()?;
            rows.push((c, summary, accounts));
        }
        self.store().create_customers(&rows).await?;
        Ok(())
    }
}
