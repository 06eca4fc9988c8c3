//! Special-measure conditions are CEL expressions over `account`: the `cel` crate's parser,
//! as custos checks a designations file with it, agrees with cel-python's on what is an
//! expression, and a condition that is not one is refused with the designation and the
//! condition it is.

mod common;
use common::oracle;

use custos_screen::import::{Format, check_condition, import};

const EXPRESSIONS: &[&str] = &[
    "account.offering != 'trial'",
    "account.verification == 'documentary'",
    "account.vcpus <= 4",
    "!account.reseller || size(account.sub_accounts) == 0",
    "account.monitoring in ['enhanced', 'full']",
    "account.country == 'KP' ? false : true",
    "has(account.trial) && !account.trial",
    "account.resources.gpus == 0u",
    "account.balance < 100.5",
    "account.tags.exists(t, t == 'vip')",
    "int(account.vcpus) * 2 < 17",
    "account.id + 'x' != ''",
    "account.limits['vcpus'] <= 8",
    "true",
    "account.vcpus <= 4 &&",
    "account.offering != 'trial",
    "(account.vcpus",
    "account..vcpus",
    "== 4",
    "account.vcpus = 4",
    "account.vcpus <== 4",
    "1 +",
    "account.[0]",
    "account.x ? 1",
    "account.vcpus <= 4)",
    "[account.vcpus",
];

#[test]
fn the_parser_agrees_with_cel_python() {
    let theirs = oracle(
        "cel_parse.py",
        &[],
        EXPRESSIONS.iter().map(|e| format!("{e}\n")).collect(),
    );
    assert_eq!(theirs.len(), EXPRESSIONS.len());
    let (mut valid, mut invalid) = (0, 0);
    for (e, theirs) in EXPRESSIONS.iter().zip(&theirs) {
        let ours = check_condition(e);
        assert_eq!(
            ours.is_ok(),
            theirs == "ok",
            "`{e}`: custos {ours:?}, cel-python {theirs}"
        );
        if ours.is_ok() {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert!(
        valid >= 10 && invalid >= 10,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn a_designation_with_a_bad_condition_is_refused() {
    let dir = std::env::temp_dir().join(format!("custos-conditions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |conditions: &str| {
        format!(
            "[[designation]]\nid = \"sm-1\"\nsubject = {{ kind = \"jurisdiction\", country = \"KP\" }}\nmeasure = \"conditions\"\nconditions = [{conditions}]\neffective = 2027-01-01\nreference = \"x\"\n"
        )
    };
    for (conditions, why) in [
        (
            "\"account.offering != 'trial'\", \"account.vcpus <= 4 &&\"",
            "designation sm-1: condition 2: not a CEL expression",
        ),
        ("\"  \"", "designation sm-1: condition 1: empty"),
    ] {
        let p = dir.join("d.toml");
        std::fs::write(&p, file(conditions)).unwrap();
        let err = import(Format::CustosToml, &p).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
    let p = dir.join("d.toml");
    std::fs::write(
        &p,
        file("\"account.offering != 'trial'\", \"account.resources.vcpus <= 4\""),
    )
    .unwrap();
    let entries = import(Format::CustosToml, &p).unwrap();
    assert_eq!(entries[0].designation.as_ref().unwrap().conditions.len(), 2);
}

/// A condition naming a field the account does not have could never be met: it would hold
/// every account it reaches. The file is refused, naming the designation, the condition and
/// the field; a macro's own variable is not a field.
#[test]
fn a_designation_naming_no_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.toml");
    let file = |conditions: &str| {
        format!(
            "[[designation]]\nid = \"sm-1\"\nsubject = {{ kind = \"jurisdiction\", country = \"BY\" }}\nmeasure = \"conditions\"\nconditions = [{conditions}]\neffective = 2027-01-01\nreference = \"x\"\n"
        )
    };
    for (conditions, why) in [
        (
            "\"account.monitoring == 'enhanced'\", \"account.offerng != 'trial'\"",
            "designation sm-1: condition 2: `account.offerng` is not a field",
        ),
        (
            "\"'document' in customer.verifed_by\"",
            "designation sm-1: condition 1: `customer.verifed_by` is not a field",
        ),
        (
            "\"acount.offering != 'trial'\"",
            "designation sm-1: condition 1: `acount` is not a variable",
        ),
    ] {
        std::fs::write(&p, file(conditions)).unwrap();
        let err = import(Format::CustosToml, &p).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
    std::fs::write(
        &p,
        file("\"account.tags.exists(t, t == 'vip') || account.offering != 'trial'\""),
    )
    .unwrap();
    let entries = import(Format::CustosToml, &p).unwrap();
    assert_eq!(entries[0].designation.as_ref().unwrap().conditions.len(), 1);
}

/// Conditions are evaluated over the account by `custos_core::measures` (the `cel` crate);
/// cel-python, evaluating the same expressions over the same variables, agrees on which hold,
/// which do not, and which cannot be evaluated.
#[test]
fn evaluation_agrees_with_cel_python() {
    use custos_core::measures::{AccountFacts, AccountProfile, CustomerFacts, check};
    use custos_core::{AccountKind, Method, Offering};
    let profiles = [
        AccountProfile::default(),
        AccountProfile {
            resources: [("vcpus".to_owned(), 4), ("gpus".to_owned(), 0)].into(),
            monitoring: Some("enhanced".into()),
            tags: vec!["vip".into()],
        },
        AccountProfile {
            resources: [("vcpus".to_owned(), 64), ("gpus".to_owned(), 8)].into(),
            monitoring: Some("standard".into()),
            tags: vec![],
        },
    ];
    let accounts = [
        (AccountKind::Direct, Offering::Paid, 0),
        (AccountKind::Reseller, Offering::Trial, 0),
        (AccountKind::SubLessee, Offering::Complimentary, 3),
    ];
    let customers = [
        CustomerFacts {
            entity: false,
            us_person: false,
            verified_by: vec![Method::Document, Method::Email],
            verified: true,
            owners_verified: true,
        },
        CustomerFacts {
            entity: true,
            us_person: false,
            verified_by: vec![Method::Email],
            verified: false,
            owners_verified: false,
        },
    ];
    let expressions = [
        "account.offering != 'trial'",
        "account.kind == 'sub_lessee' && account.depth > 2",
        "account.depth == 0",
        "'document' in customer.verified_by",
        "customer.verified_by.exists(m, m == 'payment_instrument')",
        "customer.verified && customer.owners_verified",
        "!customer.entity || customer.owners_verified",
        "account.resources.vcpus <= 8",
        "has(account.resources.gpus) && account.resources.gpus == 0",
        "!has(account.resources.gpus) || account.resources.gpus < 4",
        "account.monitoring == 'enhanced'",
        "account.monitoring in ['enhanced', 'full']",
        "account.tags.exists(t, t == 'vip')",
        "size(account.tags) == 0",
        "account.resources.vcpus * 2 <= 16",
        "account.offering",
        "account.depth + 1",
        "account.nothing == 1",
        "account.resources['vcpus'] < 10 ? true : account.monitoring == 'enhanced'",
        "account.kind.startsWith('sub')",
        "customer.verified_by.all(m, m != 'address')",
    ];
    let mut items = vec![];
    let mut input = String::new();
    for e in expressions {
        for p in &profiles {
            for (i, (kind, offering, depth)) in accounts.iter().enumerate() {
                let id = format!("acc_{i}");
                let a = AccountFacts::new(&id, *kind, *offering, *depth, p);
                let c = &customers[i % customers.len()];
                let ours = match check(e, &a, c) {
                    Ok(()) => "true",
                    Err(u) if u.why == "false" => "false",
                    Err(_) => "err",
                };
                input.push_str(
                    &serde_json::json!({"expr": e, "vars": {"account": a, "customer": c}})
                        .to_string(),
                );
                input.push('\n');
                items.push((e, id, ours));
            }
        }
    }
    let theirs = oracle("cel_vars.py", &[], input);
    assert_eq!(theirs.len(), items.len());
    let (mut t, mut f, mut x) = (0, 0, 0);
    for ((e, id, ours), theirs) in items.iter().zip(&theirs) {
        let theirs = if theirs == "other" {
            "err"
        } else {
            theirs.as_str()
        };
        assert_eq!(*ours, theirs, "`{e}` on {id}");
        match *ours {
            "true" => t += 1,
            "false" => f += 1,
            _ => x += 1,
        }
    }
    assert!(
        t >= 20 && f >= 20 && x >= 10,
        "{t} true, {f} false, {x} not evaluated"
    );
}

/// The shipped red-flag rules (`custos_core::detection`, the `cel` crate) fire over a
/// thousand varied sign-ups exactly where cel-python's evaluation of the same expressions over
/// the same facts is true.
#[test]
fn the_shipped_rules_fire_as_cel_python_says() {
    use custos_core::detection::*;
    use custos_core::measures::{AccountFacts, AccountProfile};
    use custos_core::{AccountKind, Offering};
    use custos_screen::synth::Rng;
    let detector = DetectionPolicy::default().check().unwrap();
    let mut rng = Rng::new(13984);
    let pick = |rng: &mut Rng, xs: &[&str]| xs[rng.below(xs.len())].to_owned();
    let profiles = [
        AccountProfile::default(),
        AccountProfile {
            resources: [("gpus".to_owned(), 8)].into(),
            ..AccountProfile::default()
        },
        AccountProfile {
            resources: [("gpus".to_owned(), 0), ("vcpus".to_owned(), 4)].into(),
            ..AccountProfile::default()
        },
    ];
    let (mut input, mut ours) = (String::new(), vec![]);
    let mut fired_somewhere = std::collections::BTreeSet::new();
    for i in 0..1000 {
        let countries = ["DE", "NG", "RU", "US", "BR", ""];
        let mut f = Facts::default();
        f.email.present = rng.chance(0.9);
        f.email.disposable = f.email.present && rng.chance(0.2);
        f.phone.line_type = pick(
            &mut rng,
            &[
                "mobile",
                "fixed",
                "voip",
                "toll_free",
                "premium",
                "unknown",
                "",
            ],
        );
        f.phone.present = !f.phone.line_type.is_empty();
        f.card.present = rng.chance(0.8);
        f.card.prepaid = f.card.present && rng.chance(0.2);
        f.card.funding = if f.card.prepaid { "prepaid" } else { "debit" }.into();
        f.card.country = pick(&mut rng, &countries);
        f.ip.present = true;
        f.ip.kind = pick(
            &mut rng,
            &["tor", "vpn", "proxy", "hosting", "residential", "unknown"],
        );
        if rng.chance(0.1) {
            f.ip.labels = vec!["tor".into()];
        }
        f.ip.country = pick(&mut rng, &countries);
        let address = pick(&mut rng, &countries);
        f.countries = CountryFacts::of([
            address.as_str(),
            f.card.country.as_str(),
            f.ip.country.as_str(),
        ]);
        f.customer.address_countries = vec![address];
        f.burst.card = rng.below(4) as i64;
        f.burst.ip = rng.below(5) as i64;
        f.shared.card = rng.below(5) as i64;
        f.abused.card = rng.chance(0.05);
        f.abused.document = rng.chance(0.05);
        f.abused.ip = rng.chance(0.1);
        let id = format!("acc_{i}");
        let offering = [Offering::Paid, Offering::Trial, Offering::Complimentary][rng.below(3)];
        if rng.chance(0.7) {
            f.account = Some(AccountFacts::new(
                &id,
                AccountKind::Direct,
                offering,
                0,
                &profiles[rng.below(profiles.len())],
            ));
        }
        let vars = variables(&f);
        let v = detector.evaluate(&f);
        for (rule, when) in detector.rules() {
            let fired = v.fired.iter().any(|x| x.rule == rule);
            let failed = v.unevaluated.iter().any(|x| x.rule == rule);
            if fired {
                fired_somewhere.insert(rule.to_owned());
            }
            ours.push((
                rule.to_owned(),
                i,
                match (fired, failed) {
                    (true, _) => "true",
                    (_, true) => "err",
                    _ => "false",
                },
            ));
            input.push_str(&serde_json::json!({"expr": when, "vars": vars}).to_string());
            input.push('\n');
        }
    }
    let theirs = oracle("cel_vars.py", &[], input);
    assert_eq!(theirs.len(), ours.len());
    for ((rule, i, ours), theirs) in ours.iter().zip(&theirs) {
        assert_eq!(ours, theirs, "rule {rule} on sign-up {i}");
    }
    // Every shipped rule fired on some sign-up: none is vacuous.
    assert_eq!(fired_somewhere.len(), detector.len(), "{fired_somewhere:?}");
}
