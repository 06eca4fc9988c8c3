use super::*;
use chrono::TimeZone;

fn person(name: &str, citizenship: &str) -> Individual {
    Individual {
        full_name: name.into(),
        given_names: None,
        family_name: None,
        date_of_birth: None,
        citizenships: vec![Country::parse(citizenship).unwrap()],
        us_lawful_permanent_resident: false,
        residence: None,
        national_ids: vec![],
    }
}

/// A customer with owners of these shares; its subjects are `sub_0` (itself), `sub_1`...
fn customer(shares: &[f64]) -> Customer {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let (profile, owners) = if shares.is_empty() {
        (
            CustomerProfile::Individual(person("Lena Fischer", "DE")),
            vec![],
        )
    } else {
        (
            CustomerProfile::Entity(Entity {
                legal_name: "Blue Mesa Compute LLC".into(),
                jurisdiction: Country::parse("US").unwrap(),
                jurisdiction_subdivision: None,
                registration_number: None,
                lei: None,
                addresses: vec![],
            }),
            shares
                .iter()
                .map(|p| BeneficialOwner {
                    person: person("Chen Wei", "CN"),
                    ownership_percent: Some(*p),
                    substantial_control: false,
                    title: None,
                })
                .collect(),
        )
    };
    let ids = (0..=shares.len())
        .map(|i| SubjectId::parse(&format!("sub_{i}")).unwrap())
        .collect();
    Customer::new(
        CustomerId::parse("cus_1").unwrap(),
        now,
        profile,
        owners,
        ids,
        None,
        &CipPolicy::default(),
    )
    .unwrap()
}

/// `expect`: the subject chosen, or the field the refusal names.
fn check(shares: &[f64], named: Option<&str>, expect: Result<&str, &str>) {
    let named = named.map(|n| SubjectId::parse(n).unwrap());
    let got = customer(shares).result_subject(named.as_ref());
    match (got, expect) {
        (Ok(s), Ok(e)) => assert_eq!(s.as_str(), e),
        (Err(CoreError::Invalid { field, .. }), Err(e)) => assert_eq!(field, e),
        (Err(CoreError::NotFound(what)), Err(e)) => assert!(what.contains(e), "{what}"),
        (got, _) => panic!("{shares:?} {named:?}: {got:?}, expected {expect:?}"),
    }
}

#[test]
fn a_result_names_its_subject_when_more_than_one_could_be_meant() {
    // One subject: it is the one meant.
    check(&[], None, Ok("sub_0"));
    check(&[], Some("sub_0"), Ok("sub_0"));
    // An entity alone, or with owners below the threshold: only the entity counts.
    check(&[5.0], None, Ok("sub_0"));
    // An entity with an owner that counts: the result must say whose it is.
    check(&[30.0], None, Err("subject_id"));
    check(&[30.0], Some("sub_1"), Ok("sub_1"));
    check(&[30.0], Some("sub_0"), Ok("sub_0"));
    check(&[30.0], Some("sub_9"), Err("sub_9"));
}

fn result(method: Method, outcome: MethodOutcome) -> MethodResult {
    MethodResult {
        method,
        outcome,
        at: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        provider: None,
        reference: None,
        recorded_by: "k".into(),
    }
}

fn document(subject: &str) -> Document {
    Document {
        id: format!("doc_{subject}"),
        subject_id: SubjectId::parse(subject).unwrap(),
        kind: DocumentKind::Passport,
        issuing_country: Country::parse("CN").unwrap(),
        number: "E12345678".into(),
        nationality: None,
        expires_on: None,
        mrz: None,
        added_at: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
    }
}

#[test]
fn a_pass_the_policy_names_needs_its_evidence_on_file() {
    let policy = CipPolicy::default();
    let mut c = customer(&[30.0]);
    let (entity, owner) = (
        SubjectId::parse("sub_0").unwrap(),
        SubjectId::parse("sub_1").unwrap(),
    );
    let pass = result(Method::Document, MethodOutcome::Pass);
    let err = c.record_result(&owner, pass.clone(), &policy).unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { field, reason }
            if field == "method" && reason.contains("no identity document on file for subject sub_1")),
        "{err}"
    );
    // A failed or inconclusive check rests on nothing to show.
    for o in [MethodOutcome::Fail, MethodOutcome::Inconclusive] {
        c.record_result(&owner, result(Method::Document, o), &policy)
            .unwrap();
    }
    // Another subject's document is not this one's.
    c.documents.push(document("sub_0"));
    assert!(c.record_result(&owner, pass.clone(), &policy).is_err());
    c.record_result(&entity, pass.clone(), &policy).unwrap();
    c.documents.push(document("sub_1"));
    c.record_result(&owner, pass.clone(), &policy).unwrap();
    // What the policy does not name is taken as reported; what it names is checked.
    c.record_result(&owner, result(Method::Email, MethodOutcome::Pass), &policy)
        .unwrap();
    let mut strict = policy.clone();
    strict.evidence.pass_requires_on_file = vec![Method::Email];
    let err = c
        .record_result(&owner, result(Method::Email, MethodOutcome::Pass), &strict)
        .unwrap_err();
    assert!(
        err.to_string().contains("no email address on file"),
        "{err}"
    );
    let mut lax = policy;
    lax.evidence.pass_requires_on_file = vec![];
    let mut c = customer(&[]);
    c.record_result(&SubjectId::parse("sub_0").unwrap(), pass, &lax)
        .unwrap();
}
