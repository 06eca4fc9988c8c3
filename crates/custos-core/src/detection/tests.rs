use super::*;
use crate::kinds::{AccountKind, Offering};
use crate::measures::AccountProfile;

fn shipped() -> Detector {
    DetectionPolicy::default().check().unwrap()
}

fn fired(v: &Verdict) -> Vec<&str> {
    v.fired.iter().map(|f| f.rule.as_str()).collect()
}

/// A sign-up with nothing against it: a personal email, a mobile, a debit card, one country.
fn clean() -> Facts<'static> {
    Facts {
        email: EmailFacts {
            present: true,
            disposable: false,
            domain: "example.de".into(),
        },
        phone: PhoneFacts {
            present: true,
            line_type: "mobile".into(),
            country: "DE".into(),
        },
        card: CardFacts {
            present: true,
            brand: "visa".into(),
            funding: "debit".into(),
            prepaid: false,
            country: "DE".into(),
        },
        ip: IpFacts {
            present: true,
            country: "DE".into(),
            kind: "residential".into(),
            labels: vec![],
        },
        customer: PersonFacts {
            nationalities: vec!["DE".into()],
            address_countries: vec!["DE".into()],
            ..PersonFacts::default()
        },
        countries: CountryFacts::of(["DE", "DE", "DE"]),
        ..Facts::default()
    }
}

#[test]
fn a_clean_sign_up_is_approved_with_no_reason() {
    let v = shipped().evaluate(&clean());
    assert_eq!(v.outcome, Outcome::Approve);
    assert_eq!(v.score, 0);
    assert!(v.fired.is_empty(), "{v:?}");
    assert!(v.unevaluated.is_empty(), "{v:?}");
    // Nothing known at all (no identifiers yet) is no reason either.
    let v = shipped().evaluate(&Facts::default());
    assert!(v.fired.is_empty() && v.unevaluated.is_empty(), "{v:?}");
}

/// Every sign the shipped set covers fires its rule, alone, with the facts it read.
#[test]
fn every_shipped_sign_fires_its_rule() {
    let profile = AccountProfile {
        resources: [("gpus".to_owned(), 8)].into(),
        ..AccountProfile::default()
    };
    type Change = Box<dyn Fn(&mut Facts<'_>)>;
    let cases: Vec<(&str, Change)> = vec![
        ("disposable_email", Box::new(|f| f.email.disposable = true)),
        (
            "voip_phone",
            Box::new(|f| f.phone.line_type = "voip".into()),
        ),
        (
            "not_a_personal_phone",
            Box::new(|f| f.phone.line_type = "toll_free".into()),
        ),
        (
            "prepaid_card",
            Box::new(|f| {
                f.card.prepaid = true;
                f.card.funding = "prepaid".into();
            }),
        ),
        (
            "three_countries",
            Box::new(|f| f.countries = CountryFacts::of(["DE", "NG", "RU"])),
        ),
        ("tor_exit", Box::new(|f| f.ip.kind = "tor".into())),
        ("vpn_or_proxy", Box::new(|f| f.ip.kind = "vpn".into())),
        (
            "hosting_address",
            Box::new(|f| f.ip.kind = "hosting".into()),
        ),
        ("card_burst", Box::new(|f| f.burst.card = 2)),
        ("connection_burst", Box::new(|f| f.burst.ip = 3)),
        ("card_shared", Box::new(|f| f.shared.card = 3)),
        (
            "banned_identifier_returns",
            Box::new(|f| f.abused.document = true),
        ),
        ("abusers_connection", Box::new(|f| f.abused.ip = true)),
    ];
    let d = shipped();
    for (rule, change) in &cases {
        let mut f = clean();
        change(&mut f);
        let v = d.evaluate(&f);
        assert_eq!(fired(&v), [*rule], "{v:?}");
        assert!(!v.fired[0].facts.is_empty(), "{rule}: no facts named");
    }
    // The account's profile: GPUs on a trial.
    let a = AccountFacts::new("acc_1", AccountKind::Direct, Offering::Trial, 0, &profile);
    let f = Facts {
        account: Some(a),
        ..clean()
    };
    let v = d.evaluate(&f);
    assert_eq!(fired(&v), ["gpus_at_first_order"], "{v:?}");
    assert_eq!(v.fired[0].facts["account.offering"], "trial");
    // Every shipped rule has its case here.
    let shipped_ids: Vec<String> = DetectionPolicy::default()
        .rules
        .iter()
        .map(|r| r.id.clone())
        .collect();
    for id in &shipped_ids {
        assert!(
            id == "gpus_at_first_order" || cases.iter().any(|c| c.0 == id),
            "no case for {id}"
        );
    }
}

#[test]
fn scores_add_up_to_an_outcome_and_name_the_facts() {
    let d = shipped();
    // A throwaway email through Tor: 25 + 50, restricted.
    let mut f = clean();
    f.email.disposable = true;
    f.ip.kind = "tor".into();
    let v = d.evaluate(&f);
    assert_eq!(v.score, 75);
    assert_eq!(v.outcome, Outcome::Restrict);
    assert_eq!(fired(&v), ["disposable_email", "tor_exit"]);
    let tor = &v.fired[1];
    assert_eq!(tor.reason, "IP_TOR_EXIT");
    assert_eq!(tor.facts["ip.kind"], "tor");
    assert_eq!(tor.facts["ip.labels"], serde_json::json!([]));
    // The return of a banned identifier alone refuses.
    let mut f = clean();
    f.abused.card = true;
    assert_eq!(d.evaluate(&f).outcome, Outcome::Refuse);
    // One weak sign is still approve; two make a review.
    let mut f = clean();
    f.phone.line_type = "voip".into();
    assert_eq!(d.evaluate(&f).outcome, Outcome::Approve);
    f.ip.kind = "hosting".into();
    assert_eq!(d.evaluate(&f).outcome, Outcome::Review);
}

fn policy_with(rule: &str) -> String {
    format!(
        "[detection]\nshare_cap = 50\nburst_hours = 24\nip_link_hours = 24\n\
         [detection.thresholds]\nreview = 30\nrestrict = 60\nrefuse = 100\n{rule}"
    )
}

fn section(toml_text: &str) -> Result<Detector, String> {
    #[derive(Deserialize)]
    struct Doc {
        detection: DetectionPolicy,
    }
    toml::from_str::<Doc>(toml_text)
        .map_err(|e| e.to_string())?
        .detection
        .check()
}

#[test]
fn a_rule_that_could_never_fire_is_refused_naming_it() {
    let rule = |id: &str, when: &str| {
        format!(
            "[[detection.rules]]\nid = \"{id}\"\nwhen = \"{when}\"\nscore = 10\nreason = \"X\"\n"
        )
    };
    for (text, why) in [
        (
            rule("tor", "ip.knd == 'tor'"),
            "detection rule `tor`: `ip.knd` is not a field: `ip` has present, country, kind and labels",
        ),
        (
            rule("vpn", "ipp.kind == 'vpn'"),
            "detection rule `vpn`: `ipp` is not a variable: a rule reads `email`",
        ),
        (
            rule("broken", "card.prepaid &&"),
            "detection rule `broken`: not a CEL expression",
        ),
        (
            rule("sharing", "shared.cards > 2"),
            "detection rule `sharing`: `shared.cards` is not a field",
        ),
        (
            format!(
                "{}{}",
                rule("a", "card.prepaid"),
                rule("a", "email.disposable")
            ),
            "detection rule `a` is there twice",
        ),
        (rule("bad id", "card.prepaid"), "letters, digits and `_`"),
    ] {
        match section(&policy_with(&text)) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => assert!(e.contains(why), "{text}\n{e}"),
        }
    }
    // Thresholds must rise.
    let falling = policy_with("").replace("restrict = 60", "restrict = 20");
    assert!(section(&falling).unwrap_err().contains("must rise"));
    // A rule naming only facts there are is accepted, macros and all.
    let ok = rule("any_abuse", "[abused.card, abused.iban].exists(x, x)");
    assert_eq!(section(&policy_with(&ok)).unwrap().len(), 1);
}

/// The same refusal through the whole policy: a CIP policy with a broken rule does not load.
#[test]
fn a_policy_with_a_broken_rule_does_not_load() {
    // The shipped policy has no [detection] section of its own: this one is the provider's.
    let text = format!(
        "{}\n{}",
        crate::policy::DEFAULT_POLICY_TOML,
        policy_with(
            "[[detection.rules]]\nid = \"tor\"\nwhen = \"ip.knd == 'tor'\"\nscore = 50\n\
             reason = \"T\"\n"
        )
    );
    let e = crate::policy::CipPolicy::from_toml(&text).unwrap_err();
    assert!(e.to_string().contains("detection rule `tor`"), "{e}");
    let good = text.replace("ip.knd", "ip.kind");
    let p = crate::policy::CipPolicy::from_toml(&good).unwrap();
    assert_eq!(p.detection.rules.len(), 1);
}

#[test]
fn a_rule_that_cannot_be_evaluated_does_not_fire_and_says_why() {
    let d = section(&policy_with(
        "[[detection.rules]]\nid = \"many_gpus\"\nwhen = \"account.resources.gpus > 4\"\n\
         score = 10\nreason = \"G\"\n",
    ))
    .unwrap();
    let v = d.evaluate(&clean());
    assert!(v.fired.is_empty());
    assert_eq!(v.unevaluated.len(), 1, "{v:?}");
    assert_eq!(v.unevaluated[0].rule, "many_gpus");
}

/// The vocabulary is what the facts are: every field of [`Facts`] is one rules may name,
/// and every name rules may use is a field.
#[test]
fn the_vocabulary_is_the_facts_fields() {
    let profile = AccountProfile::default();
    let f = Facts {
        account: Some(AccountFacts::new(
            "acc_1",
            AccountKind::Direct,
            Offering::Paid,
            0,
            &profile,
        )),
        ..Facts::default()
    };
    let v = serde_json::to_value(&f).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut roots: Vec<&str> = ROOTS.iter().map(|r| r.0).collect();
    roots.sort_unstable();
    assert_eq!(keys, roots);
    for (name, shape) in ROOTS {
        let Shape::Object(_, fields) = shape else {
            panic!("{name}")
        };
        let mut keys: Vec<&str> = obj[*name]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut ours: Vec<&str> = fields.iter().map(|f| f.0).collect();
        ours.sort_unstable();
        assert_eq!(keys, ours, "{name}");
    }
}

#[test]
fn a_rule_on_the_account_may_not_read_a_personal_fact() {
    let rule = |when: &str| {
        format!(
            "[[detection.rules]]\nid = \"gpu_from\"\nwhen = \"{when}\"\nscore = 10\nreason = \"X\"\n"
        )
    };
    let e = section(&policy_with(&rule(
        "account.offering == 'trial' && ip.country == 'KP'",
    )))
    .unwrap_err();
    assert!(
        e.contains("detection rule `gpu_from` reads the account and `ip.country`"),
        "{e}"
    );
    // A whole object holding a personal fact is as personal.
    let e = section(&policy_with(&rule(
        "account.offering == 'trial' && size(countries) > 0",
    )))
    .unwrap_err();
    assert!(e.contains("`countries`"), "{e}");
    // Classifications are kept in the clear: a rule on the account may read them.
    let d = section(&policy_with(&rule(
        "account.offering == 'trial' && ip.kind == 'tor'",
    )))
    .unwrap();
    assert_eq!(d.len(), 1);
}

fn at() -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

#[test]
fn a_customers_detection_withholds_personal_values() {
    let mut f = clean();
    f.countries = CountryFacts::of(["DE", "RU", "BR"]);
    f.ip.kind = "tor".into();
    let policy = policy_with(
        "[[detection.rules]]\nid = \"far\"\nwhen = \"countries.distinct >= 3 && 'RU' in countries.all\"\nscore = 40\nreason = \"FAR\"\n\
         [[detection.rules]]\nid = \"tor\"\nwhen = \"ip.kind == 'tor'\"\nscore = 50\nreason = \"TOR\"\n",
    );
    let d = section(&policy).unwrap().customer(&f, at());
    assert_eq!(d.score, 90);
    let far = &d.fired[0];
    assert_eq!(far.facts["countries.distinct"], serde_json::json!(3));
    assert_eq!(far.facts["countries.all"], serde_json::json!(WITHHELD));
    // The signals keep classifications and counts, never a country or a domain.
    let text = d.signals.to_string();
    for personal in ["\"DE\"", "\"RU\"", "\"BR\"", "example.de"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert_eq!(d.signals["ip"]["kind"], "tor");
    assert_eq!(d.signals["countries"]["distinct"], 3);
    assert!(d.signals.get("account").is_none());
}

#[test]
fn an_accounts_verdict_adds_the_rules_on_the_account() {
    let d = shipped();
    let mut f = clean();
    f.card.prepaid = true;
    f.card.funding = "prepaid".into();
    let cd = d.customer(&f, at());
    assert_eq!(cd.score, 25);
    let mut profile = AccountProfile::default();
    profile.resources.insert("gpus".into(), 8);
    let trial = crate::measures::AccountFacts::new(
        "acc_1",
        AccountKind::Direct,
        Offering::Trial,
        0,
        &profile,
    );
    let v = d.account(&cd, &trial);
    assert_eq!(fired(&v), ["prepaid_card", "gpus_at_first_order"]);
    assert_eq!((v.score, v.outcome), (45, Outcome::Review));
    let paid = crate::measures::AccountFacts::new(
        "acc_2",
        AccountKind::Direct,
        Offering::Paid,
        0,
        &profile,
    );
    let v = d.account(&cd, &paid);
    assert_eq!((v.score, v.outcome), (25, Outcome::Approve));
    // Cleared at 45: the same flags hold nothing; one more does.
    let mut cleared = cd.clone();
    cleared.cleared = Some(Cleared {
        by: "rev".into(),
        at: at(),
        score: 45,
        reason: "known reseller of GPU time".into(),
        rules: vec![],
    });
    assert!(d.account(&cleared, &trial).cleared);
    cleared.cleared.as_mut().unwrap().score = 44;
    assert!(!d.account(&cleared, &trial).cleared);
    // Cleared for some rules: another rule firing holds again, whatever the sum.
    cleared.cleared.as_mut().unwrap().score = 100;
    cleared.cleared.as_mut().unwrap().rules = vec!["prepaid_card".into()];
    assert!(
        !d.account(&cleared, &trial).cleared,
        "the GPU rule was not cleared"
    );
    assert!(d.account(&cleared, &paid).cleared);
}
