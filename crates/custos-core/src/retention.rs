//! Retention: how long a customer's records are kept.
//!
//! The proposed rule keeps records at least two years after the account is closed or last
//! accessed. A customer's records are due when every account is closed and the policy's period
//! has passed since the later of each account's close and last access; a customer who never
//! opened an account is due that period after it was created. A legal hold blocks destruction
//! whatever the dates say.

use chrono::{DateTime, Utc};

use crate::account::Account;
use crate::customer::LegalHold;
use crate::policy::CipPolicy;

/// When the customer's records become due for destruction, or `None` while any account is open.
pub fn due_at(
    created_at: DateTime<Utc>,
    accounts: &[Account],
    policy: &CipPolicy,
) -> Option<DateTime<Utc>> {
    let months = chrono::Months::new(policy.retention.months_after_last_activity);
    let mut last = created_at;
    for a in accounts {
        let closed = a.closed_at?;
        last = last.max(closed);
        if let Some(seen) = a.last_access_at {
            last = last.max(seen);
        }
    }
    // Past chrono's range only for absurd inputs; then the records are simply never due.
    Some(
        last.checked_add_months(months)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// When one closed account's own records (its entries in the access ledger) become due: the
/// policy's period after the later of its close and its last access. `None` while it is open.
pub fn account_due_at(account: &Account, policy: &CipPolicy) -> Option<DateTime<Utc>> {
    let months = chrono::Months::new(policy.retention.months_after_last_activity);
    let closed = account.closed_at?;
    let last = account.last_access_at.map_or(closed, |s| s.max(closed));
    Some(
        last.checked_add_months(months)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// The verdict for one customer at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Due, but a legal hold keeps it; the hold ids are given.
    Held(Vec<String>),
    Destroy,
}

/// Whether a customer's records are due at `as_of` (a run judged as of another day), and
/// whether a hold in force at `now` (the real clock: a hold that lapses before `as_of` still
/// keeps the records today) keeps them.
pub fn verdict(
    created_at: DateTime<Utc>,
    accounts: &[Account],
    holds: &[LegalHold],
    policy: &CipPolicy,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Verdict {
    match due_at(created_at, accounts, policy) {
        Some(due) if due <= as_of => {
            let active: Vec<String> = holds
                .iter()
                .filter(|h| h.in_force(now))
                .map(|h| h.id.clone())
                .collect();
            if active.is_empty() {
                Verdict::Destroy
            } else {
                Verdict::Held(active)
            }
        }
        _ => Verdict::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AccountDecision, AccountKind, AccountStatus, Decision, Offering};
    use crate::ids::{AccountId, CustomerId};
    use crate::policy::RiskLevel;
    use chrono::TimeZone;

    fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn account(closed: Option<DateTime<Utc>>, seen: Option<DateTime<Utc>>) -> Account {
        Account {
            id: AccountId::parse("acc_1").unwrap(),
            customer_id: CustomerId::parse("cus_1").unwrap(),
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            parent_id: None,
            opened_at: t(2020, 1, 1),
            closed_at: closed,
            close_reason: None,
            last_access_at: seen,
            pending_since: None,
            profile: Default::default(),
            pending_history: vec![],
            abuse_holds: vec![],
            decision: AccountDecision {
                decision: Decision::Approve,
                account_status: AccountStatus::Active,
                required_steps: vec![],
                reasons: vec![],
                risk: RiskLevel::Low,
                restrictions: Default::default(),
                special_measures: vec![],
                exemptions: vec![],
            },
        }
    }

    fn hold(released: bool) -> LegalHold {
        LegalHold {
            id: "hold_1".into(),
            reason: "r".into(),
            reference: None,
            placed_by: "k".into(),
            placed_at: t(2021, 1, 1),
            released_by: None,
            released_at: released.then(|| t(2021, 2, 1)),
            expires_at: None,
        }
    }

    fn check(accounts: &[Account], holds: &[LegalHold], now: DateTime<Utc>, expect: Verdict) {
        let p = CipPolicy::default();
        assert_eq!(
            verdict(t(2020, 1, 1), accounts, holds, &p, now, now),
            expect,
            "{now}"
        );
    }

    #[test]
    fn a_preservation_keeps_until_it_lapses_judged_by_the_real_clock() {
        let closed = account(Some(t(2021, 1, 1)), Some(t(2021, 6, 1)));
        let mut h = hold(false);
        h.expires_at = Some(t(2024, 3, 1));
        let p = CipPolicy::default();
        let run = |as_of, now| {
            verdict(
                t(2020, 1, 1),
                std::slice::from_ref(&closed),
                std::slice::from_ref(&h),
                &p,
                as_of,
                now,
            )
        };
        // Judged as of a day past its lapse, while it is in force today: it keeps.
        assert_eq!(
            run(t(2030, 1, 1), t(2024, 1, 1)),
            Verdict::Held(vec!["hold_1".into()])
        );
        // Once it has lapsed, nothing keeps the records.
        assert_eq!(run(t(2024, 3, 1), t(2024, 3, 1)), Verdict::Destroy);
    }

    #[test]
    fn two_years_after_the_later_of_close_and_last_access() {
        let closed = account(Some(t(2021, 1, 1)), Some(t(2021, 6, 1)));
        check(
            std::slice::from_ref(&closed),
            &[],
            t(2023, 5, 31),
            Verdict::Keep,
        );
        check(
            std::slice::from_ref(&closed),
            &[],
            t(2023, 6, 1),
            Verdict::Destroy,
        );
        let open = account(None, None);
        check(&[closed.clone(), open], &[], t(2040, 1, 1), Verdict::Keep);
        check(
            std::slice::from_ref(&closed),
            &[hold(false)],
            t(2040, 1, 1),
            Verdict::Held(vec!["hold_1".into()]),
        );
        check(
            std::slice::from_ref(&closed),
            &[hold(true)],
            t(2040, 1, 1),
            Verdict::Destroy,
        );
        // 2020 is a leap year: 730 days would end on 2021-12-31, a day short of two years.
        check(&[], &[], t(2021, 12, 31), Verdict::Keep);
        check(&[], &[], t(2022, 1, 1), Verdict::Destroy);
    }

    #[test]
    fn an_account_is_due_two_years_after_its_close_or_last_access() {
        let p = CipPolicy::default();
        assert_eq!(account_due_at(&account(None, None), &p), None);
        assert_eq!(
            account_due_at(&account(Some(t(2024, 2, 29)), None), &p),
            Some(t(2026, 2, 28))
        );
        assert_eq!(
            account_due_at(&account(Some(t(2024, 1, 1)), Some(t(2024, 6, 1))), &p),
            Some(t(2026, 6, 1))
        );
    }
}
