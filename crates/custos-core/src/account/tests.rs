use super::*;
use crate::customer::SubjectSummary;
use crate::triage::UsPersonBasis;
use crate::verification::{MethodOutcome, MethodResult, SubjectVerification};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn subject(role: SubjectRole, us: bool, passed: &[Method], failed: &[Method]) -> SubjectSummary {
    let r = |m: &Method, o| MethodResult {
        method: *m,
        outcome: o,
        at: now(),
        provider: None,
        reference: None,
        recorded_by: "k".into(),
    };
    SubjectSummary {
        id: SubjectId::parse(&format!("sub_{}", passed.len() * 10 + failed.len())).unwrap(),
        role,
        qualifies: true,
        removed: false,
        us_person: us,
        basis: if us {
            UsPersonBasis::Citizen
        } else {
            UsPersonBasis::Foreign
        },
        verification: SubjectVerification {
            results: passed
                .iter()
                .map(|m| r(m, MethodOutcome::Pass))
                .chain(failed.iter().map(|m| r(m, MethodOutcome::Fail)))
                .collect(),
            ..Default::default()
        },
    }
}

fn summary(subjects: Vec<SubjectSummary>) -> CustomerSummary {
    CustomerSummary {
        id: CustomerId::parse("cus_t").unwrap(),
        entity: subjects.len() > 1,
        created_at: now(),
        external_ref: None,
        subjects,
        high_risk_link: false,
        resubmissions: 0,
        screening: vec![],
        detection: None,
    }
}

fn screening_case(
    subject: &SubjectSummary,
    state: CaseState,
    measure: Measure,
) -> crate::screening::CaseSummary {
    crate::screening::CaseSummary {
        id: format!("scr_{state:?}_{measure:?}"),
        subject_id: subject.id.clone(),
        basis: crate::screening::Basis::Name,
        list: "ofac-sdn".into(),
        entity_id: "123".into(),
        measure,
        conditions: if measure == Measure::Conditions {
            vec!["account.offering != 'trial'".into()]
        } else {
            vec![]
        },
        reference: None,
        score: 0.95,
        state,
        opened_at: now(),
        updated_at: now(),
    }
}

fn decide_screened(verified: bool, cases: &[(CaseState, Measure)], new: bool) -> AccountDecision {
    let policy = CipPolicy::default();
    let sub = if verified {
        subject(
            SubjectRole::Customer,
            false,
            &[Method::Email, Method::Phone, Method::Document],
            &[],
        )
    } else {
        subject(SubjectRole::Customer, false, &[], &[])
    };
    let mut s = summary(vec![sub.clone()]);
    s.screening = cases
        .iter()
        .map(|(st, m)| screening_case(&sub, *st, *m))
        .collect();
    evaluate(&Evaluation {
        policy: &policy,
        customer: &s,
        risk: RiskLevel::Medium,
        account_id: &AccountId::parse("acc_t").unwrap(),
        kind: AccountKind::Direct,
        offering: Offering::Paid,
        profile: &AccountProfile::default(),
        exemptions: &[],
        parent: None,
        opened_at: (!new).then(now),
        pending_since: None,
        now: now(),
        detector: None,
        abuse_hold: None,
    })
}

#[test]
fn screening_decides() {
    use CaseState as C;
    use Measure as M;
    // A confirmed prohibition refuses a new account and closes an open one, verified or not.
    for new in [true, false] {
        let d = decide_screened(true, &[(C::Confirmed, M::Prohibition)], new);
        assert_eq!(
            (d.decision, d.account_status, d.reasons[0].code),
            (
                Decision::Refuse,
                AccountStatus::Closed,
                ReasonCode::ScreeningProhibited
            )
        );
    }
    // A possible match holds the account for review.
    let d = decide_screened(true, &[(C::Open, M::Prohibition)], true);
    assert_eq!(
        (d.decision, d.account_status, d.reasons[0].code),
        (
            Decision::Pending,
            AccountStatus::PendingVerification,
            ReasonCode::ScreeningReview
        )
    );
    // Conditions apply: a verified customer's account is restricted under them.
    let d = decide_screened(true, &[(C::Confirmed, M::Conditions)], false);
    assert_eq!(d.decision, Decision::Approve);
    assert_eq!(d.account_status, AccountStatus::Restricted);
    assert_eq!(d.special_measures.len(), 1);
    assert_eq!(
        d.restrictions["special_measure_conditions"],
        serde_json::json!(["account.offering != 'trial'"])
    );
    assert!(
        d.reasons
            .iter()
            .any(|r| r.code == ReasonCode::SpecialMeasureConditions)
    );
    // ...and an unverified one keeps the pending restrictions too.
    let d = decide_screened(false, &[(C::Confirmed, M::Conditions)], true);
    assert_eq!(d.account_status, AccountStatus::Restricted);
    assert!(d.restrictions.len() > 1);
    // Resolved cases do nothing.
    for st in [C::FalsePositive, C::Cleared] {
        let d = decide_screened(true, &[(st, M::Prohibition)], true);
        assert_eq!(
            (d.decision, d.account_status),
            (Decision::Approve, AccountStatus::Active)
        );
    }
}

#[test]
fn a_lists_measure_says_what_its_hits_do() {
    use CaseState as C;
    use Measure as M;
    let held = (
        Decision::Pending,
        AccountStatus::PendingVerification,
        Some(ReasonCode::ScreeningReview),
    );
    let free = (
        Decision::Approve,
        AccountStatus::Active,
        Some(ReasonCode::ForeignSubjectsVerified),
    );
    for (case, expect) in [
        // A list kept for review holds while a reviewer looks, and decides nothing after.
        ((C::Open, M::Review), held),
        ((C::Confirmed, M::Review), free),
        ((C::FalsePositive, M::Review), free),
        // An informational list holds nothing, open or confirmed.
        ((C::Open, M::Informational), free),
        ((C::Confirmed, M::Informational), free),
    ] {
        for new in [true, false] {
            let d = decide_screened(true, &[case], new);
            assert_eq!(
                (
                    d.decision,
                    d.account_status,
                    d.reasons.first().map(|r| r.code)
                ),
                expect,
                "{case:?}"
            );
        }
    }
    // Beside a prohibition, they change nothing of it.
    let d = decide_screened(
        true,
        &[(C::Confirmed, M::Prohibition), (C::Open, M::Informational)],
        false,
    );
    assert_eq!(d.account_status, AccountStatus::Closed);
}

#[test]
fn a_reversal_withdraws_only_its_own_closure() {
    let decision = decide_screened(true, &[(CaseState::Confirmed, Measure::Prohibition)], false);
    let since = now() - Duration::days(5);
    let closed = Account {
        id: AccountId::parse("acc_t").unwrap(),
        customer_id: CustomerId::parse("cus_t").unwrap(),
        kind: AccountKind::Direct,
        offering: Offering::Paid,
        parent_id: None,
        opened_at: since,
        closed_at: Some(now()),
        close_reason: Some(decision.reasons[0].detail.clone()),
        last_access_at: None,
        pending_since: None,
        profile: AccountProfile::default(),
        pending_history: vec![PendingSpan {
            since,
            ended_at: now(),
            outcome: PendingOutcome::ClosedScreening,
        }],
        abuse_holds: vec![],
        decision,
    };
    let subject = closed.decision.reasons[0].subject_id.clone().unwrap();
    let case = |entity: &str, subject: &SubjectId| crate::screening::Case {
        id: "scr_1".into(),
        state: CaseState::FalsePositive,
        finding: crate::screening::Finding {
            subject_id: subject.clone(),
            basis: crate::screening::Basis::Name,
            list: "ofac-sdn".into(),
            entity_id: entity.into(),
            entity_name: "X".into(),
            matched: "X".into(),
            score: 0.95,
            measure: Measure::Prohibition,
            conditions: vec![],
            reference: None,
            explanation: vec![],
            decisive: false,
            birth_date_equal: false,
            entity_fingerprint: "e".into(),
            subject_fingerprint: "s".into(),
        },
        opened_at: since,
        updated_at: now(),
        resolved_by: None,
        resolved_at: None,
        note: None,
    };
    assert!(closed_by(&closed, &case("123", &subject)));
    // Another entry, another subject: not this case's closure.
    assert!(!closed_by(&closed, &case("456", &subject)));
    assert!(!closed_by(
        &closed,
        &case("123", &SubjectId::parse("sub_other").unwrap())
    ));
    // Closed on request: it stays closed whatever the case says.
    let mut asked = closed.clone();
    asked.decision.reasons.push(reason(
        ReasonCode::ClosedOnRequest,
        None,
        "closed on request",
    ));
    assert!(!closed_by(&asked, &case("123", &subject)));
    // Closed for abuse too.
    let mut abused = closed.clone();
    abused
        .decision
        .reasons
        .push(reason(ReasonCode::ClosedForAbuse, None, "closed for abuse"));
    assert!(!closed_by(&abused, &case("123", &subject)));
    assert!(!closed_with_parent(&closed));

    let mut a = closed.clone();
    reopen(&mut a);
    assert_eq!((a.closed_at, a.close_reason), (None, None));
    // The wait the closure ended goes on from when it began.
    assert_eq!(a.pending_since, Some(since));
    assert!(a.pending_history.is_empty());
}

struct Case {
    subjects: Vec<SubjectSummary>,
    kind: AccountKind,
    offering: Offering,
    parent: Option<AccountStatus>,
    pending_since_days: Option<i64>,
    new: bool,
    exemptions: Vec<crate::exemptions::AppliedExemption>,
}

fn case(subjects: Vec<SubjectSummary>) -> Case {
    Case {
        subjects,
        kind: AccountKind::Direct,
        offering: Offering::Paid,
        parent: None,
        pending_since_days: None,
        new: true,
        exemptions: vec![],
    }
}

fn check(c: Case, expect: (Decision, AccountStatus, &[ReasonCode])) {
    let policy = CipPolicy::default();
    let s = summary(c.subjects);
    let parent = c.parent.map(|status| ParentInfo {
        id: AccountId::parse("acc_parent").unwrap(),
        kind: AccountKind::Reseller,
        status,
        depth: 1,
        measures: vec![],
    });
    let d = evaluate(&Evaluation {
        policy: &policy,
        customer: &s,
        risk: policy.risk(&s, [(c.kind, c.offering)]),
        account_id: &AccountId::parse("acc_t").unwrap(),
        kind: c.kind,
        offering: c.offering,
        profile: &AccountProfile::default(),
        exemptions: &c.exemptions,
        parent: parent.as_ref(),
        opened_at: (!c.new).then(now),
        pending_since: c.pending_since_days.map(|d| now() - Duration::days(d)),
        now: now(),
        detector: None,
        abuse_hold: None,
    });
    let codes: Vec<ReasonCode> = d.reasons.iter().map(|r| r.code).collect();
    assert_eq!((d.decision, d.account_status, codes.as_slice()), expect);
}

/// A verified foreign customer's account under one measure with `conditions`, given
/// directly (a confirmed case) or through a parent reseller account.
fn decide_conditions(
    conditions: &[&str],
    kind: AccountKind,
    offering: Offering,
    profile: &AccountProfile,
    inherited: bool,
    new: bool,
) -> AccountDecision {
    let policy = CipPolicy::default();
    let sub = subject(
        SubjectRole::Customer,
        false,
        &[Method::Email, Method::Phone, Method::Document],
        &[],
    );
    let mut s = summary(vec![sub.clone()]);
    let conditions: Vec<String> = conditions.iter().map(|c| (*c).to_owned()).collect();
    let applied = AppliedConditions {
        list: "special-measures".into(),
        entity_id: "custos-sm-1".into(),
        reference: Some("92 FR 1".into()),
        conditions: conditions.clone(),
        inherited_from: None,
        unmet: vec![],
    };
    if !inherited {
        let mut c = screening_case(&sub, CaseState::Confirmed, Measure::Conditions);
        c.list = applied.list.clone();
        c.entity_id = applied.entity_id.clone();
        c.reference = applied.reference.clone();
        c.conditions = conditions;
        s.screening = vec![c];
    }
    let parent = ParentInfo {
        id: AccountId::parse("acc_reseller").unwrap(),
        kind: AccountKind::Reseller,
        status: AccountStatus::Restricted,
        depth: 2,
        measures: vec![applied],
    };
    evaluate(&Evaluation {
        policy: &policy,
        customer: &s,
        risk: RiskLevel::Medium,
        account_id: &AccountId::parse("acc_t").unwrap(),
        kind,
        offering,
        profile,
        exemptions: &[],
        parent: inherited.then_some(&parent),
        opened_at: (!new).then(now),
        pending_since: None,
        now: now(),
        detector: None,
        abuse_hold: None,
    })
}

#[test]
fn conditions_are_evaluated_over_the_account() {
    use AccountKind::*;
    use Offering::*;
    let none = AccountProfile::default();
    let big = AccountProfile {
        resources: [("vcpus".to_owned(), 32)].into(),
        monitoring: Some("enhanced".into()),
        tags: vec![],
    };
    let small = AccountProfile {
        resources: [("vcpus".to_owned(), 4)].into(),
        ..Default::default()
    };
    // (condition, kind, offering, profile, met)
    let cases: &[(&str, AccountKind, Offering, &AccountProfile, bool)] = &[
        ("account.offering != 'trial'", Direct, Paid, &none, true),
        ("account.offering != 'trial'", Direct, Trial, &none, false),
        (
            "'document' in customer.verified_by",
            Direct,
            Paid,
            &none,
            true,
        ),
        (
            "'payment_instrument' in customer.verified_by",
            Direct,
            Paid,
            &none,
            false,
        ),
        ("account.resources.vcpus <= 8", Direct, Paid, &small, true),
        ("account.resources.vcpus <= 8", Direct, Paid, &big, false),
        // Not reported: the measure fails closed.
        ("account.resources.vcpus <= 8", Direct, Paid, &none, false),
        ("account.monitoring == 'enhanced'", Direct, Paid, &big, true),
        (
            "account.monitoring == 'enhanced'",
            Direct,
            Paid,
            &none,
            false,
        ),
        ("account.depth == 0", Reseller, Paid, &none, true),
        (
            "customer.verified && !customer.us_person",
            Direct,
            Paid,
            &none,
            true,
        ),
        // Not a boolean.
        ("account.depth", Direct, Paid, &none, false),
    ];
    for (cond, kind, offering, profile, met) in cases {
        for new in [true, false] {
            let d = decide_conditions(&[cond], *kind, *offering, profile, false, new);
            let m = &d.special_measures[0];
            assert_eq!(
                m.unmet.is_empty(),
                *met,
                "{cond} on {kind:?}/{offering:?}: {m:?}"
            );
            if *met {
                assert_eq!(
                    (d.decision, d.account_status),
                    (Decision::Approve, AccountStatus::Restricted),
                    "{cond}"
                );
            } else {
                let held = if new {
                    AccountStatus::PendingVerification
                } else {
                    AccountStatus::Suspended
                };
                assert_eq!((d.decision, d.account_status), (Decision::Pending, held));
                let r = d
                    .reasons
                    .iter()
                    .find(|r| r.code == ReasonCode::SpecialMeasureConditionUnmet)
                    .unwrap();
                // The reason names the designation it comes from.
                assert_eq!(r.source.as_ref().unwrap().entity_id, "custos-sm-1");
                assert_eq!(
                    r.source.as_ref().unwrap().reference.as_deref(),
                    Some("92 FR 1")
                );
            }
        }
    }
}

#[test]
fn a_resellers_measures_hold_under_it() {
    // "No sub-accounts" on a designated reseller holds every sub-lessee under it, at any
    // depth, while the reseller's own account meets it.
    let d = decide_conditions(
        &["account.depth == 0"],
        AccountKind::SubLessee,
        Offering::Paid,
        &AccountProfile::default(),
        true,
        false,
    );
    assert_eq!(
        (d.decision, d.account_status),
        (Decision::Pending, AccountStatus::Suspended)
    );
    let m = &d.special_measures[0];
    assert_eq!(m.inherited_from.as_ref().unwrap().as_str(), "acc_reseller");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.detail.contains("through reseller account acc_reseller"))
    );
    // A condition the sub-lessee meets leaves it usable, under the measure.
    let d = decide_conditions(
        &["account.offering != 'trial'"],
        AccountKind::SubLessee,
        Offering::Paid,
        &AccountProfile::default(),
        true,
        false,
    );
    assert_eq!(d.account_status, AccountStatus::Restricted);
    assert_eq!(d.special_measures.len(), 1);
}

#[test]
fn decisions() {
    use AccountStatus as S;
    use Decision as D;
    use Method::*;
    use ReasonCode as R;
    use SubjectRole::*;
    check(
        case(vec![subject(Customer, true, &[], &[])]),
        (D::Approve, S::Active, &[R::UsPersonsOnly]),
    );
    check(
        case(vec![subject(Customer, false, &[], &[])]),
        (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
    );
    check(
        case(vec![subject(Customer, false, &[Email, Document], &[])]),
        (D::Approve, S::Active, &[R::ForeignSubjectsVerified]),
    );
    check(
        case(vec![subject(Customer, false, &[], &[Email])]),
        (D::Refuse, S::Closed, &[R::VerificationFailed]),
    );
    let mut existing = case(vec![subject(Customer, false, &[], &[Email])]);
    existing.new = false;
    check(
        existing,
        (D::Refuse, S::Suspended, &[R::VerificationFailed]),
    );
    // A US entity with a foreign owner: only the owner is asked for.
    check(
        case(vec![
            subject(Customer, true, &[], &[]),
            subject(BeneficialOwner, false, &[], &[]),
        ]),
        (
            D::Pending,
            S::Restricted,
            &[R::ForeignBeneficialOwnerUnverified],
        ),
    );
    let mut trial = case(vec![subject(Customer, false, &[], &[])]);
    trial.offering = Offering::Trial;
    check(
        trial,
        (
            D::Pending,
            S::PendingVerification,
            &[R::ForeignCustomerUnverified, R::BlockedUntilVerified],
        ),
    );
    let mut reseller = case(vec![subject(Customer, false, &[], &[])]);
    reseller.kind = AccountKind::Reseller;
    check(
        reseller,
        (
            D::Pending,
            S::PendingVerification,
            &[R::ForeignCustomerUnverified, R::BlockedUntilVerified],
        ),
    );
    let mut orphan = case(vec![subject(Customer, true, &[], &[])]);
    orphan.kind = AccountKind::SubLessee;
    orphan.parent = Some(S::Suspended);
    check(orphan, (D::Refuse, S::Closed, &[R::ParentAccountNotActive]));
    let mut under_suspended = case(vec![subject(Customer, true, &[], &[])]);
    under_suspended.kind = AccountKind::SubLessee;
    under_suspended.parent = Some(S::Suspended);
    under_suspended.new = false;
    check(
        under_suspended,
        (D::Refuse, S::Suspended, &[R::ParentAccountNotActive]),
    );
    let mut late = case(vec![subject(Customer, false, &[], &[])]);
    late.new = false;
    late.pending_since_days = Some(31);
    check(
        late,
        (
            D::Refuse,
            S::Closed,
            &[R::ForeignCustomerUnverified, R::VerificationDeadlinePassed],
        ),
    );
    // An exemption from verification: an unverified foreign customer's account is not
    // held, and the decision says why; a failed verification still counts.
    let exemption = crate::exemptions::AppliedExemption {
        id: "ex_1".into(),
        reason: "ADP".into(),
        requirements: vec![crate::exemptions::Requirement::Verification],
    };
    let mut exempt = case(vec![subject(Customer, false, &[], &[])]);
    exempt.exemptions = vec![exemption.clone()];
    check(
        exempt,
        (D::Approve, S::Active, &[R::ExemptFromVerification]),
    );
    let mut exempt_failed = case(vec![subject(Customer, false, &[], &[Email])]);
    exempt_failed.exemptions = vec![exemption.clone()];
    check(
        exempt_failed,
        (D::Refuse, S::Closed, &[R::VerificationFailed]),
    );
    let mut reverification_only = case(vec![subject(Customer, false, &[], &[])]);
    reverification_only.exemptions = vec![crate::exemptions::AppliedExemption {
        requirements: vec![crate::exemptions::Requirement::Reverification],
        ..exemption
    }];
    check(
        reverification_only,
        (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
    );
    let mut in_time = case(vec![subject(Customer, false, &[], &[])]);
    in_time.new = false;
    in_time.pending_since_days = Some(29);
    check(
        in_time,
        (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
    );
}

#[test]
fn new_account_shapes() {
    let p = CipPolicy::default();
    let parent = |kind, depth| ParentInfo {
        id: AccountId::parse("acc_p").unwrap(),
        kind,
        status: AccountStatus::Active,
        depth,
        measures: vec![],
    };
    assert!(check_new(AccountKind::Direct, None, &p).is_ok());
    assert!(
        check_new(
            AccountKind::Direct,
            Some(&parent(AccountKind::Reseller, 1)),
            &p
        )
        .is_err()
    );
    assert!(check_new(AccountKind::SubLessee, None, &p).is_err());
    assert!(
        check_new(
            AccountKind::SubLessee,
            Some(&parent(AccountKind::Direct, 1)),
            &p
        )
        .is_err()
    );
    assert!(
        check_new(
            AccountKind::SubLessee,
            Some(&parent(AccountKind::Reseller, 8)),
            &p
        )
        .is_ok()
    );
    assert!(
        check_new(
            AccountKind::SubLessee,
            Some(&parent(AccountKind::Reseller, 9)),
            &p
        )
        .is_err()
    );
    assert!(
        check_new(
            AccountKind::Reseller,
            Some(&parent(AccountKind::Reseller, 3)),
            &p
        )
        .is_ok()
    );
}

#[test]
fn closing_on_request_ends_the_wait_and_says_why() {
    let since = now() - Duration::days(3);
    let mut a = Account {
        id: AccountId::parse("acc_c").unwrap(),
        customer_id: CustomerId::parse("cus_c").unwrap(),
        kind: AccountKind::Direct,
        offering: Offering::Paid,
        parent_id: None,
        opened_at: since,
        closed_at: None,
        close_reason: None,
        last_access_at: None,
        pending_since: Some(since),
        profile: AccountProfile::default(),
        pending_history: vec![],
        abuse_holds: vec![],
        decision: decide_screened(false, &[], false),
    };
    close_on_request(&mut a, "customer request", now()).unwrap();
    assert_eq!(a.status(), AccountStatus::Closed);
    assert_eq!(a.closed_at, Some(now()));
    assert_eq!(a.close_reason.as_deref(), Some("customer request"));
    assert_eq!(a.pending_since, None);
    assert_eq!(a.pending_history.len(), 1);
    assert_eq!(a.pending_history[0].outcome, PendingOutcome::Closed);
    assert_eq!(a.decision.reasons[0].code, ReasonCode::ClosedOnRequest);
    assert!(a.decision.required_steps.is_empty());
    // Closing again is refused and changes nothing.
    let before = a.clone();
    assert!(matches!(
        close_on_request(&mut a, "again", now() + Duration::days(1)),
        Err(CoreError::Conflict(_))
    ));
    assert_eq!(a, before);
}

/// The red flags' outcome on an otherwise approved account, new and open.
#[test]
fn red_flags_hold_review_restrict_and_refuse() {
    use crate::detection::{CustomerDetection, DetectionPolicy, Fired};
    let policy = CipPolicy::default();
    let detector = DetectionPolicy::default().check().unwrap();
    let flagged = |score: i64, cleared: bool| {
        let mut s = summary(vec![subject(SubjectRole::Customer, true, &[], &[])]);
        s.detection = Some(CustomerDetection {
            at: now(),
            score,
            fired: vec![Fired {
                rule: "tor_exit".into(),
                reason: "IP_TOR_EXIT".into(),
                score,
                description: "Tor".into(),
                facts: [("ip.kind".to_owned(), serde_json::json!("tor"))].into(),
            }],
            unevaluated: vec![],
            signals: serde_json::json!({}),
            cleared: cleared.then(|| crate::detection::Cleared {
                by: "rev".into(),
                at: now(),
                score,
                reason: "a researcher's Tor use, known".into(),
                rules: vec![],
            }),
        });
        s
    };
    let decide = |s: &CustomerSummary, new: bool| {
        evaluate(&Evaluation {
            policy: &policy,
            customer: s,
            risk: RiskLevel::Medium,
            account_id: &AccountId::parse("acc_t").unwrap(),
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            profile: &AccountProfile::default(),
            exemptions: &[],
            parent: None,
            opened_at: (!new).then(now),
            pending_since: None,
            now: now(),
            detector: Some(&detector),
            abuse_hold: None,
        })
    };
    let cases = [
        (10, true, Decision::Approve, AccountStatus::Active),
        (
            30,
            true,
            Decision::Pending,
            AccountStatus::PendingVerification,
        ),
        (60, true, Decision::Approve, AccountStatus::Restricted),
        (100, true, Decision::Refuse, AccountStatus::Closed),
        (100, false, Decision::Refuse, AccountStatus::Suspended),
    ];
    for (score, new, decision, status) in cases {
        let d = decide(&flagged(score, false), new);
        assert_eq!(
            (d.decision, d.account_status),
            (decision, status),
            "{score}"
        );
        if score >= 30 {
            assert_eq!(d.reasons[0].code, ReasonCode::RedFlags);
            assert_eq!(d.reasons[1].code, ReasonCode::RedFlag);
            let f = d.reasons[1].red_flag.as_ref().unwrap();
            assert_eq!(
                (f.rule.as_str(), &f.facts["ip.kind"]),
                ("tor_exit", &serde_json::json!("tor"))
            );
        } else {
            assert!(d.reasons.iter().all(|r| r.code != ReasonCode::RedFlags));
        }
    }
    assert!(
        decide(&flagged(60, false), true).restrictions.len() >= policy.pending.restrictions.len()
    );
    // Cleared by a reviewer: the flags hold nothing.
    let d = decide(&flagged(100, true), true);
    assert_eq!(
        (d.decision, d.account_status),
        (Decision::Approve, AccountStatus::Active)
    );
}
