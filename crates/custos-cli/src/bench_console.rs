//! `custos bench console`: the console's server time on a large store.
//!
//! A fresh SQLite store is seeded with customers (a mix of US and foreign individuals and
//! foreign entities with owners, as `bench accounts` seeds them), each with one account; a
//! reviewer signs in; then the queue page, the queue filtered by a reason, and customer pages
//! (a random customer each time) are requested through the same router as `custos serve`, in
//! process, one at a time, and each request's time from the request to the last byte of the
//! rendered page is kept. Beside them, in the same run, the API's answers to the same
//! questions (`GET /v1/accounts/needing-action`, `GET /v1/customers/{id}`) are timed the same
//! way: the difference is what the console's rendering costs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use axum::body::Body;
use axum::http::Request;
use custos_app::keys::Role;
use custos_app::{App as Service, NewAccount, system_clock};
use custos_core::{AccountKind, CipPolicy, CustomerId, Offering};
use custos_server::AppState;
use custos_server::router;
use custos_store::{FileKeyring, SqlStore, Store};
use http_body_util::BodyExt;
use serde::Serialize;
use tower::ServiceExt;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Customers seeded (each with one account).
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Requests timed per page.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Timing {
    page: String,
    requests: usize,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    customers: usize,
    accounts_needing_action: usize,
    seed_seconds: f64,
    timings: Vec<Timing>,
    cores: usize,
    cpu: String,
}

fn timing(page: &str, mut lat: Vec<Duration>) -> Timing {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    Timing {
        page: page.to_owned(),
        requests: lat.len(),
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    }
}

/// A small deterministic generator, so that two runs ask for the same customers.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

pub async fn run(a: Args) -> Result<()> {
    if a.customers == 0 || a.requests == 0 {
        bail!("--customers and --requests must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let keyring = Arc::new(FileKeyring::open_or_create(
        &dir.path().join("keyring.json"),
    )?);
    let store = SqlStore::open_sqlite(&dir.path().join("custos.db"), keyring).await?;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let svc = Service::new(store, Arc::new(CipPolicy::default()), system_clock());
    let started = Instant::now();
    eprintln!("seeding {} customers, each with an account...", a.customers);
    let ids = crate::bench::seed(&svc, a.customers).await?;
    let bar = indicatif::ProgressBar::new(ids.len() as u64);
    for id in &ids {
        svc.open_account(NewAccount {
            customer_id: CustomerId::parse(id)?,
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            parent_id: None,
        })
        .await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let seed_seconds = started.elapsed().as_secs_f64();
    let waiting = {
        let mut n = 0;
        let mut after: Option<String> = None;
        loop {
            let p = svc.list_needing_action(after.as_deref(), 100).await?;
            n += p.data.len();
            match p.next_cursor {
                Some(c) => after = Some(c),
                None => break n,
            }
        }
    };
    let actor = custos_app::Actor {
        id: "bench".into(),
        role: "admin".into(),
    };
    let who = svc
        .create_user(&actor, "bench@console.example", Role::Reviewer, false)
        .await?;
    let (session, _) = svc
        .sign_in(&who.user.email, &who.password, None, "127.0.0.1")
        .await?;
    let (key, _) = svc.create_key("bench", Role::Reviewer).await?;
    let app = router(AppState::new(svc.clone()));
    let cookie = format!("{}={session}", custos_app::users::SESSION_COOKIE);
    let get = |path: String, console: bool| {
        let mut r = Request::builder().uri(path);
        r = if console {
            r.header("cookie", &cookie)
        } else {
            r.header("authorization", format!("Bearer {key}"))
        };
        r.body(Body::empty()).unwrap()
    };
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut timings = vec![];
    let pages: [(&str, bool); 6] = [
        ("console: accounts queue", true),
        ("console: accounts queue by reason", true),
        ("console: customer", true),
        ("console: home", true),
        ("API: needing action (same page)", false),
        ("API: customer (same customer)", false),
    ];
    let bar = indicatif::ProgressBar::new((pages.len() * a.requests) as u64);
    for (page, console) in pages {
        let mut lat = Vec::with_capacity(a.requests);
        for _ in 0..a.requests {
            let c = &ids[(next(&mut seed) % ids.len() as u64) as usize];
            let path = match page {
                "console: accounts queue" => "/console/queues/accounts".to_owned(),
                "console: accounts queue by reason" => {
                    "/console/queues/accounts?reason=foreign_beneficial_owner_unverified".to_owned()
                }
                "console: customer" => format!("/console/customers/{c}"),
                "console: home" => "/console/".to_owned(),
                "API: needing action (same page)" => {
                    "/v1/accounts/needing-action?limit=50".to_owned()
                }
                _ => format!("/v1/customers/{c}"),
            };
            let t = Instant::now();
            let res = app.clone().oneshot(get(path.clone(), console)).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            lat.push(t.elapsed());
            if !status.is_success() {
                bail!(
                    "{path}: {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                );
            }
            bar.inc(1);
        }
        timings.push(timing(page, lat));
    }
    bar.finish_and_clear();
    let report = Report {
        customers: a.customers,
        accounts_needing_action: waiting,
        seed_seconds,
        timings,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu: crate::bench::cpu_model(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{} customers ({} accounts needing action), seeded in {:.0} s; {} cores, {}",
        report.customers,
        report.accounts_needing_action,
        report.seed_seconds,
        report.cores,
        report.cpu
    );
    for t in &report.timings {
        println!(
            "{:<36} {:>4} requests  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            t.page, t.requests, t.p50_ms, t.p95_ms, t.p99_ms, t.max_ms
        );
    }
    Ok(())
}
