//! `custos bench links`: a customer's linked group (`App::customer_links`, audited as the API
//! and the CLI run it) among many customers in the embedded SQLite store, with rings sharing a
//! phone, pairs sharing a card, and one inbox shared by thousands (over the share cap).

use std::time::Instant;

use anyhow::Result;
use clap::Args as ClapArgs;
use custos_core::customer::PaymentInstrument;
use custos_core::{
    Address, CipPolicy, Contact, ContactKind, Country, Customer, CustomerId, CustomerProfile,
    Individual, NationalId, PaymentMeans, PaymentSource, SubjectId,
};
use futures_util::StreamExt;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Customers in the store.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: u64,
    /// Customers whose links are read, at random.
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Where the installation is made (default: a temporary directory). A store left there
    /// by an earlier run of the same size is used again.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

/// Customer `i`: its own email and document; in a ring of five sharing a phone when
/// `i % 1000 < 5`; sharing a card with the next when `i % 100 == 50`; sharing the one
/// corporate inbox when `i % 200 == 7` (5,000 of a million: far over the cap).
fn customer(i: u64, policy: &CipPolicy) -> Result<Customer> {
    let de = Country::parse("DE").map_err(anyhow::Error::msg)?;
    let at = chrono::DateTime::from_timestamp(1_767_225_600 + i as i64, 0).unwrap_or_default();
    let id = CustomerId::from_suffix(&format!("bl{i:09}"))?;
    let sid = SubjectId::from_suffix(&format!("bl{i:09}"))?;
    let mut c = Customer::new(
        id,
        at,
        CustomerProfile::Individual(Individual {
            full_name: format!("Links Person {i}"),
            given_names: None,
            family_name: None,
            date_of_birth: None,
            citizenships: vec![de.clone()],
            us_lawful_permanent_resident: false,
            residence: Some(Address {
                line1: format!("{i} Hauptstrasse"),
                line2: None,
                city: "Berlin".into(),
                region: None,
                postal_code: None,
                country: de.clone(),
            }),
            national_ids: vec![NationalId {
                country: de,
                kind: Some("passport".into()),
                number: format!("C{i:08}"),
            }],
        }),
        vec![],
        vec![sid.clone()],
        None,
        policy,
    )?;
    let contact = |n: &str, kind, value: String| contact(&sid, n, kind, value, at);
    let email = if i % 200 == 7 {
        "office@corp.example".to_owned()
    } else {
        format!("person{i}@mail.example")
    };
    c.add_contact(contact("con_1", ContactKind::Email, email))?;
    let phone = if i % 1000 < 5 {
        format!("+4930{:07}", i / 1000)
    } else {
        format!("+4989{i:08}")
    };
    c.add_contact(contact("con_2", ContactKind::Phone, phone))?;
    let pan = if i % 100 == 51 { i - 1 } else { i };
    c.add_payment_means(card(pan, "411111", None, at))?;
    Ok(c)
}

/// A contact of a benchmark's customer.
pub(crate) fn contact(
    sid: &SubjectId,
    id: &str,
    kind: ContactKind,
    value: String,
    at: chrono::DateTime<chrono::Utc>,
) -> Contact {
    Contact {
        id: id.into(),
        subject_id: sid.clone(),
        kind,
        value,
        verified_at: None,
        added_at: at,
    }
}

/// A benchmark's visa card: the card `pan` (its fingerprint stands for it) of BIN `bin`.
pub(crate) fn card(
    pan: u64,
    bin: &str,
    country: Option<Country>,
    at: chrono::DateTime<chrono::Utc>,
) -> PaymentMeans {
    PaymentMeans {
        id: "pay_1".into(),
        instrument: PaymentInstrument::Card {
            brand: "visa".into(),
            bin: bin.into(),
            last4: format!("{:04}", pan % 10_000),
            expiry_month: 12,
            expiry_year: 2030,
            // (A fingerprint is a keyed digest: any stable text stands for one here.)
            fingerprint: format!("{pan:064x}"),
            country,
        },
        financial_institution: None,
        provider_customer_ref: None,
        transaction_ids: vec![],
        source: PaymentSource::Customer,
        added_at: at,
    }
}

pub async fn run(a: Args) -> Result<()> {
    let (_tmp, root, config) = crate::bench_legal::installation(a.dir.as_deref())?;
    let marker = root.join(format!(".bench-links-{}", a.customers));
    let reused = marker.exists();
    if !reused {
        for f in std::fs::read_dir(&root)? {
            let f = f?;
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with("custos.db")
                || name.starts_with("keyring")
                || name.starts_with(".bench-links")
            {
                std::fs::remove_file(f.path())?;
            }
        }
    }
    let app = crate::app::App::open(config, true).await?;
    let svc = &app.service;
    let policy = CipPolicy::default();
    if !reused {
        let bar = indicatif::ProgressBar::new(a.customers);
        bar.set_style(indicatif::ProgressStyle::with_template(
            "{msg} {wide_bar} {pos}/{len} customers ({per_sec}, {eta})",
        )?);
        bar.set_message("storing");
        let store = svc.store().clone();
        let mut writes = futures_util::stream::iter(0..a.customers)
            .map(|i| {
                let (store, policy) = (store.clone(), &policy);
                async move {
                    let c = customer(i, policy)?;
                    store.create_customer(&c, &c.summary(policy), &[]).await?;
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(4);
        while let Some(r) = writes.next().await {
            r?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        std::fs::write(&marker, b"")?;
    }
    let actor = custos_app::Actor {
        id: "bench".into(),
        role: "compliance_officer".into(),
    };
    let mut rng = custos_screen::synth::Rng::new(13984);
    let mut times = Vec::with_capacity(a.queries);
    let (mut members, mut wide) = (0usize, 0usize);
    for q in 0..a.queries {
        // One query in ten of a ring's member, so that groups are read too.
        let i = if q % 10 == 0 {
            (rng.below((a.customers / 1000).max(1) as usize) as u64) * 1000 + 2
        } else {
            rng.below(a.customers as usize) as u64
        }
        .min(a.customers - 1);
        let id = CustomerId::from_suffix(&format!("bl{i:09}"))?;
        let s = Instant::now();
        let g = svc.customer_links(&actor, "benchmark", &id).await?;
        times.push(s.elapsed().as_secs_f64() * 1e3);
        members += g.members.len();
        wide += g.widely_shared.len();
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let out = serde_json::json!({
        "customers": a.customers,
        "store_reused": reused,
        "queries": a.queries,
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "max_ms": times.last().copied().unwrap_or(0.0),
        "members_found": members,
        "widely_shared_reported": wide,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    println!(
        "the links of a customer among {} customers: p50 {:.2} ms, p99 {:.2} ms (goal: p50 at most 5 ms)",
        a.customers,
        at(0.5),
        at(0.99)
    );
    Ok(())
}
