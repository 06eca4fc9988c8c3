//! `custos bench detection`: the red-flag rules and ring detection on a synthetic sign-up
//! stream with planted abuse, their precision and recall.
//!
//! The stream (seeded, so a run is repeatable) has realistic shares of countries, card
//! funding types and connection kinds, and some honest customers who look odd (a VPN, a
//! prepaid card, a VoIP line, a family sharing a card). Planted in it: rings of four to eight
//! sign-ups within an hour sharing one card or one phone; returners, who bring back the phone
//! or card of a ring closed for abuse earlier in the stream (a ring is closed once it is
//! complete, not while it signs up); throwaway sign-ups (a
//! disposable email, with VoIP, prepaid, Tor or VPN, countries that do not agree). Each
//! sign-up is stored whole (`App::insert_customer`: screened, put to the rules) and an account
//! opened for it, as a sign-up flow does, in the embedded SQLite store; the reference lists
//! (IP ranges, BIN ranges) are imported first, as a provider imports them.

use std::time::Instant;

use anyhow::Result;
use clap::Args as ClapArgs;
use custos_core::{
    Address, ContactKind, Country, Customer, CustomerId, CustomerProfile, Decision, Individual,
    LocationObservation, SubjectId,
};
use custos_screen::reference::RefKind;
use custos_screen::synth::Rng;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Sign-ups in the stream.
    #[arg(long, default_value_t = 100_000)]
    pub signups: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 13984)]
    pub seed: u64,
    /// Where the installation is made (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

/// What a sign-up really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    Honest,
    Ring(usize),
    Returner,
    Throwaway,
}

/// Residence countries and their shares (per mille).
const COUNTRIES: [(&str, u32); 8] = [
    ("US", 300),
    ("DE", 120),
    ("GB", 120),
    ("FR", 100),
    ("IN", 120),
    ("BR", 100),
    ("RU", 70),
    ("NG", 70),
];

fn pick_country(rng: &mut Rng) -> &'static str {
    let mut r = rng.below(1000) as u32;
    for (c, w) in COUNTRIES {
        if r < w {
            return c;
        }
        r -= w;
    }
    "US"
}

/// A valid number of `country` (libphonenumber's metadata), unique by `n`: a mobile line,
/// or a fixed one where the country has a recognisable plan.
fn phone(country: &str, fixed: bool, n: u64) -> String {
    let d = |w: usize| format!("{:0w$}", n % 10u64.pow(w as u32));
    match (country, fixed) {
        ("US", _) => format!("+1201{}{}", 2 + n % 8, d(6)),
        ("DE", false) => format!("+49151{}", d(8)),
        ("DE", true) => format!("+4930{}", d(8)),
        ("GB", false) => format!("+447400{}", d(6)),
        ("GB", true) => format!("+44121{}", d(7)),
        ("FR", false) => format!("+336{}", d(8)),
        ("FR", true) => format!("+331{}", d(8)),
        ("IN", _) => format!("+9198{}", d(8)),
        ("BR", _) => format!("+55119{}", d(8)),
        ("RU", _) => format!("+7912{}", d(7)),
        _ => format!("+234803{}", d(7)),
    }
}

/// A VoIP number (the UK's 056 range), unique by `n`.
fn voip(n: u64) -> String {
    format!("+4456{:08}", n % 100_000_000)
}

const FUNDING: [&str; 3] = ["credit", "debit", "prepaid"];

/// The BIN of a card of `country` and `funding`: one made-up range each.
fn bin(country: &str, funding: usize) -> String {
    let c = COUNTRIES
        .iter()
        .position(|(x, _)| *x == country)
        .unwrap_or(0);
    format!("4{}{}000", c, funding)
}

/// The BIN ranges CSV the run imports.
fn bins_csv() -> String {
    let mut s = String::from("bin,brand,funding,country\n");
    for (c, _) in COUNTRIES {
        for (f, name) in FUNDING.iter().enumerate() {
            s.push_str(&format!("{},visa,{name},{c}\n", bin(c, f)));
        }
    }
    s
}

/// Connection kinds: the address block of each, and the IP ranges CSV the run imports.
const KINDS: [(&str, &str); 5] = [
    ("residential", "10.0.0.0/8"),
    ("mobile", "100.64.0.0/10"),
    ("hosting", "172.16.0.0/16"),
    ("vpn", "172.17.0.0/16"),
    ("tor", "172.18.0.0/16"),
];

fn ranges_csv() -> String {
    let mut s = String::from("network,kind,provider\n");
    for (k, net) in KINDS {
        s.push_str(&format!("{net},{k},Synthetic\n"));
    }
    s
}

/// An address of a connection kind (its index in [`KINDS`]), unique by `n`.
fn address(kind: usize, n: u64) -> String {
    let (a, b, c) = ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    match kind {
        0 => format!("10.{a}.{b}.{c}"),
        1 => format!("100.{}.{b}.{c}", 64 + (a & 63)),
        k => format!("172.{}.{b}.{c}", 14 + k),
    }
}

/// Honest connections: residential 80%, mobile 10%, hosting 4%, VPN 5.7%, Tor 0.3%.
fn honest_kind(rng: &mut Rng) -> usize {
    match rng.below(1000) {
        0..800 => 0,
        800..900 => 1,
        900..940 => 2,
        940..997 => 3,
        _ => 4,
    }
}

/// One planned sign-up.
struct Plan {
    truth: Truth,
    country: &'static str,
    email: String,
    phone: String,
    /// Card digits (its fingerprint stands for it), BIN, funding, issuing country.
    card: Option<(u64, String, String)>,
    ip: (usize, String, &'static str),
}

fn honest(rng: &mut Rng, i: u64) -> Plan {
    let country = pick_country(rng);
    let phone = match rng.below(100) {
        0..3 => voip(i),
        3..15 => phone(country, true, i),
        _ => phone(country, false, i),
    };
    let funding = match rng.below(100) {
        0..60 => 0,
        60..95 => 1,
        _ => 2,
    };
    // One card in a hundred is a family's, shared with the customer planned before.
    let digits = if rng.chance(0.01) && i > 0 { i - 1 } else { i };
    let card_country = if rng.chance(0.95) {
        country
    } else {
        pick_country(rng)
    };
    let kind = honest_kind(rng);
    let ip_country = if rng.chance(0.93) || kind >= 3 {
        if kind >= 3 {
            pick_country(rng)
        } else {
            country
        }
    } else {
        pick_country(rng)
    };
    Plan {
        truth: Truth::Honest,
        country,
        email: format!(
            "user{i}@{}",
            [
                "gmail.com",
                "outlook.com",
                "yahoo.com",
                "web.de",
                "proton.me"
            ][rng.below(5)]
        ),
        phone,
        card: rng
            .chance(0.92)
            .then(|| (digits, bin(card_country, funding), card_country.to_owned())),
        ip: (kind, address(kind, i), ip_country),
    }
}

fn throwaway(rng: &mut Rng, i: u64) -> Plan {
    let mut p = honest(rng, i);
    p.truth = Truth::Throwaway;
    p.email = format!(
        "x{i}@{}",
        ["mailinator.com", "guerrillamail.com", "yopmail.com"][rng.below(3)]
    );
    if rng.chance(0.6) {
        p.phone = voip(i);
    }
    if rng.chance(0.5) {
        let c = pick_country(rng);
        p.card = Some((i, bin(c, 2), c.to_owned()));
    }
    if rng.chance(0.6) {
        let k = if rng.chance(0.4) { 4 } else { 3 };
        p.ip = (k, address(k, i), pick_country(rng));
    }
    p
}

/// The whole stream, in order.
fn stream(n: usize, seed: u64) -> Vec<Plan> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<Plan> = Vec::with_capacity(n + 16);
    let mut rings = 0usize;
    // Customers of the stream closed for abuse (ring members), whose identifiers return.
    while out.len() < n {
        let i = out.len() as u64;
        match rng.below(1000) {
            // A ring: four to eight sign-ups in a row (minutes apart) sharing a card or a phone.
            0..4 => {
                let size = 4 + rng.below(5);
                let by_card = rng.chance(0.5);
                let ring = rings;
                rings += 1;
                let shared_phone = voip(10_000_000 + ring as u64);
                let c = pick_country(&mut rng);
                for k in 0..size {
                    let j = out.len() as u64;
                    let mut p = honest(&mut rng, j);
                    p.truth = Truth::Ring(ring);
                    if by_card {
                        p.card = Some((1_000_000_000 + ring as u64, bin(c, 0), c.to_owned()));
                    } else {
                        p.phone = shared_phone.clone();
                    }
                    if rng.chance(0.6) {
                        let kind = 2 + rng.below(2);
                        p.ip = (kind, address(kind, j), pick_country(&mut rng));
                    }
                    if k == 0 && rng.chance(0.5) {
                        p.email = format!("r{j}@mailinator.com");
                    }
                    out.push(p);
                }
            }
            4..19 => out.push(throwaway(&mut rng, i)),
            // A returner: the phone or card of a ring member (closed for abuse) comes back.
            19..24 if !out.is_empty() => {
                let rings_so_far: Vec<usize> = out
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| matches!(p.truth, Truth::Ring(_)))
                    .map(|(k, _)| k)
                    .collect();
                let mut p = honest(&mut rng, i);
                if let Some(&k) = rings_so_far.get(rng.below(rings_so_far.len().max(1))) {
                    p.truth = Truth::Returner;
                    if rng.chance(0.5) {
                        p.phone = out[k].phone.clone();
                    } else if let Some(c) = out[k].card.clone() {
                        p.card = Some(c);
                    } else {
                        p.phone = out[k].phone.clone();
                    }
                }
                out.push(p);
            }
            _ => out.push(honest(&mut rng, i)),
        }
    }
    out.truncate(n);
    out
}

fn customer(
    p: &Plan,
    i: usize,
    at: chrono::DateTime<chrono::Utc>,
    policy: &custos_core::CipPolicy,
) -> Result<Customer> {
    let cc = |s: &str| Country::parse(s).map_err(anyhow::Error::msg);
    let id = CustomerId::from_suffix(&format!("sd{i:09}"))?;
    let sid = SubjectId::from_suffix(&format!("sd{i:09}"))?;
    let mut c = Customer::new(
        id,
        at,
        CustomerProfile::Individual(Individual {
            full_name: format!("Signup Person {i}"),
            given_names: None,
            family_name: None,
            date_of_birth: None,
            citizenships: vec![cc(p.country)?],
            us_lawful_permanent_resident: false,
            residence: Some(Address {
                line1: format!("{i} Main Street"),
                line2: None,
                city: "Springfield".into(),
                region: None,
                postal_code: None,
                country: cc(p.country)?,
            }),
            national_ids: vec![],
        }),
        vec![],
        vec![sid.clone()],
        None,
        policy,
    )?;
    let contact =
        |n: &str, kind, value: String| crate::bench_links::contact(&sid, n, kind, value, at);
    c.add_contact(contact("con_1", ContactKind::Email, p.email.clone()))?;
    c.add_contact(contact("con_2", ContactKind::Phone, p.phone.clone()))?;
    if let Some((digits, bin, country)) = &p.card {
        c.add_payment_means(crate::bench_links::card(
            *digits,
            bin,
            Some(cc(country)?),
            at,
        ))?;
    }
    c.observe_location(
        LocationObservation {
            at,
            ip: p.ip.1.clone(),
            country: cc(p.ip.2)?,
            account_id: None,
        },
        policy,
        at,
    );
    Ok(c)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

pub async fn run(a: Args) -> Result<()> {
    let (_tmp, root, config) = crate::bench_legal::installation(a.dir.as_deref())?;
    for f in std::fs::read_dir(&root)? {
        let f = f?;
        let name = f.file_name().to_string_lossy().into_owned();
        if name.starts_with("custos.db") || name.starts_with("keyring") {
            std::fs::remove_file(f.path())?;
        }
    }
    let app = crate::app::App::open(config, true).await?;
    let svc = &app.service;
    let actor = custos_app::Actor {
        id: "bench".into(),
        role: "admin".into(),
    };
    svc.import_reference(
        &actor,
        RefKind::IpRanges,
        "synthetic",
        ranges_csv().into_bytes(),
    )
    .await?;
    svc.import_reference(
        &actor,
        RefKind::BinRanges,
        "synthetic",
        bins_csv().into_bytes(),
    )
    .await?;
    let plans = stream(a.signups, a.seed);
    let policy = svc.policy().clone();
    // Thirty days of sign-ups, evenly spread.
    let start = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    let step = 30 * 86_400 * 1000 / plans.len().max(1) as i64;
    let bar = indicatif::ProgressBar::new(plans.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {pos}/{len} sign-ups ({per_sec}, {eta})",
    )?);
    bar.set_message("signing up");
    let mut flagged = vec![false; plans.len()];
    let mut outcomes = [0usize; 3];
    // Per rule: how often it fired on honest and on abusive sign-ups.
    let mut per_rule: std::collections::BTreeMap<String, [usize; 2]> = Default::default();
    // Ring members are found and closed for abuse once their ring is complete (the next
    // sign-up that is not of it): not while it signs up.
    let mut ring_pending: Vec<(CustomerId, chrono::DateTime<chrono::Utc>)> = vec![];
    let mut ring_now: Option<usize> = None;
    let started = Instant::now();
    for (i, p) in plans.iter().enumerate() {
        let at = start + chrono::Duration::milliseconds(step * i as i64);
        let c = svc.insert_customer(customer(p, i, at, &policy)?).await?;
        let acc = svc
            .open_account(custos_app::NewAccount {
                customer_id: c.id.clone(),
                kind: custos_core::AccountKind::Direct,
                offering: custos_core::Offering::Paid,
                parent_id: None,
            })
            .await?;
        let held = acc
            .decision
            .reasons
            .iter()
            .any(|r| r.code == custos_core::account::ReasonCode::RedFlags);
        flagged[i] = held;
        for f in c.detection.iter().flat_map(|d| d.fired.iter()) {
            per_rule.entry(f.rule.clone()).or_default()[usize::from(p.truth != Truth::Honest)] += 1;
        }
        outcomes[match acc.decision.decision {
            Decision::Approve => 0,
            Decision::Pending => 1,
            Decision::Refuse => 2,
        }] += 1;
        // A ring is closed for abuse when it is complete: its identifiers then flag returners.
        let this_ring = match p.truth {
            Truth::Ring(r) => Some(r),
            _ => None,
        };
        if this_ring != ring_now {
            for (id, t) in ring_pending.drain(..) {
                svc.store().mark_abuse_closure(&id, "synthetic", t).await?;
            }
            ring_now = this_ring;
        }
        if this_ring.is_some() {
            ring_pending.push((c.id.clone(), at));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let abusive = |t: Truth| t != Truth::Honest;
    let tp = plans
        .iter()
        .zip(&flagged)
        .filter(|(p, f)| **f && abusive(p.truth))
        .count();
    let fp = plans
        .iter()
        .zip(&flagged)
        .filter(|(p, f)| **f && !abusive(p.truth))
        .count();
    let positives = plans.iter().filter(|p| abusive(p.truth)).count();
    let per = |want: fn(Truth) -> bool| {
        let n = plans.iter().filter(|p| want(p.truth)).count();
        let hit = plans
            .iter()
            .zip(&flagged)
            .filter(|(p, f)| **f && want(p.truth))
            .count();
        serde_json::json!({"planted": n, "flagged": hit, "recall": ratio(hit, n)})
    };
    // Ring detection: each ring's first member's linked group, against the ring.
    let (mut found, mut wanted, mut extra) = (0usize, 0usize, 0usize);
    let mut ring_first: std::collections::BTreeMap<usize, usize> = Default::default();
    for (i, p) in plans.iter().enumerate() {
        if let Truth::Ring(r) = p.truth {
            ring_first.entry(r).or_insert(i);
        }
    }
    for (&r, &first) in &ring_first {
        let id = CustomerId::from_suffix(&format!("sd{first:09}"))?;
        let g = svc.customer_links(&actor, "benchmark", &id).await?;
        let members: Vec<usize> = plans
            .iter()
            .enumerate()
            .filter(|(k, p)| *k != first && p.truth == Truth::Ring(r))
            .map(|(k, _)| k)
            .collect();
        wanted += members.len();
        for m in &g.members {
            let k: usize = m
                .customer_id
                .as_str()
                .trim_start_matches("cus_sd")
                .parse()
                .unwrap_or(usize::MAX);
            if members.contains(&k) {
                found += 1;
            } else if plans.get(k).is_some_and(|p| p.truth != Truth::Returner) {
                extra += 1;
            }
        }
    }
    let out = serde_json::json!({
        "signups": plans.len(),
        "seed": a.seed,
        "seconds": secs,
        "signups_per_second": plans.len() as f64 / secs,
        "decisions": {"approve": outcomes[0], "pending": outcomes[1], "refuse": outcomes[2]},
        "rules": {
            "abusive_planted": positives,
            "flagged": tp + fp,
            "true_positives": tp,
            "false_positives": fp,
            "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, positives),
            "false_positive_rate": ratio(fp, plans.len() - positives),
            "rings": per(|t| matches!(t, Truth::Ring(_))),
            "returners": per(|t| t == Truth::Returner),
            "throwaways": per(|t| t == Truth::Throwaway),
        },
        "rules_fired": per_rule
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!({"honest": v[0], "abusive": v[1]})))
            .collect::<serde_json::Map<_, _>>(),
        "ring_detection": {
            "rings": ring_first.len(),
            "members_to_find": wanted,
            "members_found": found,
            "others_in_groups": extra,
            "precision": ratio(found, found + extra),
            "recall": ratio(found, wanted),
        },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
