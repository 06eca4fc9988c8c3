//! `custos bench`: the figures of docs/BENCHMARKS.md, measured by the binary itself.
//!
//! `custos bench accounts` measures account-open decisions over HTTP on loopback: a real server
//! (the same router as `custos serve`) on a fresh SQLite file or a fresh PostgreSQL database,
//! seeded with a mix of US and foreign individuals and foreign entities with owners, and a
//! client in the same process sending `POST /v1/accounts` with an integrator key and an
//! `Idempotency-Key`, as a provider's sign-up flow would. Both share the machine's cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Subcommand;
use custos_app::keys::Role;
use custos_app::{App as Service, system_clock};
use custos_core::customer::BeneficialOwner;
use custos_core::{CipPolicy, Country, CustomerProfile, Entity, Individual};
use custos_server::AppState;
use custos_server::router;
use custos_store::{FileKeyring, SqlStore, Store};
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Identifier validations per second, per kind, in batch mode (`custos id check --batch`),
    /// beside the same batch job in Python with python-stdnum (and schwifty, phonenumbers, mrz
    /// for their kinds) on the same inputs. Needs python3 with the oracles of
    /// crates/custos-ids/tests/oracle/requirements.txt; run from the repository.
    Ids {
        /// Values generated per kind (then repeated to at least --lines).
        #[arg(long, default_value_t = 2_000)]
        per_kind: usize,
        /// Lines fed to each side per kind.
        #[arg(long, default_value_t = 50_000)]
        lines: usize,
        /// Only these kinds (comma-separated); default: all.
        #[arg(long)]
        kinds: Option<String>,
        #[arg(long, env = "CUSTOS_PYTHON", default_value = "python3")]
        python: String,
    },
    /// Screening speed (queries per second on one thread, p50 and p99, index build time and
    /// memory) on the real OFAC SDN and UN lists and on a synthetic list built from them,
    /// beside rapidfuzz's brute-force `process.extract` (Jaro-Winkler) on the same names and
    /// queries. The baseline needs python3 with tools/bench/requirements.txt.
    Screen(crate::bench_screen::Args),
    /// The access ledger: durable ingest in process and over HTTP beside PostgreSQL COPY,
    /// bytes on disk per event, queries and inclusion proofs, on synthetic traffic.
    Ledger(crate::bench_ledger::Args),
    /// The console's server time (p50, p95, p99) for the queue and customer pages over a
    /// large SQLite store, beside the API's answers to the same questions.
    Console(crate::bench_console::Args),
    /// A legal request's records package: one account's events among many more in the ledger,
    /// written and verified, beside Python's bagit and the independent verifier.
    Legal(crate::bench_legal::Args),
    /// A whole customer base (a million customers by default) in the store: the screening
    /// against OFAC's SDN and the UN's lists, the re-screening a new list version triggers,
    /// and the CIP certification, end to end, on SQLite or PostgreSQL.
    Customers(crate::bench_customers::Args),
    /// A customer's linked group among many customers (`custos links`), p50 and p99.
    Links(crate::bench_links::Args),
    /// The red-flag rules and ring detection on a synthetic sign-up stream with planted abuse
    /// (rings, returners of banned identifiers, throwaway sign-ups): precision and recall.
    Detection(crate::bench_detection::Args),
    /// Account-open decisions per second over HTTP on loopback, with p50 and p99 latency.
    Accounts {
        #[command(flatten)]
        store: StoreArgs,
        /// Measured requests.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Requests before measuring starts.
        #[arg(long, default_value_t = 2_000)]
        warmup: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Customers seeded before the run.
        #[arg(long, default_value_t = 2_000)]
        customers: usize,
        /// Send no Idempotency-Key (to see what idempotency costs).
        #[arg(long)]
        no_idempotency: bool,
        /// Register a webhook endpoint for every event type (a receiver on loopback that
        /// answers 204) and run the dispatcher beside the server, as `custos serve` does.
        #[arg(long)]
        webhook: bool,
        /// Run with no red-flag rules (a policy whose `[detection]` has none), to see what
        /// detection costs the decision.
        #[arg(long)]
        no_detection: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Where a benchmark's scratch store goes.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// sqlite or postgres.
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// A PostgreSQL server where a scratch database is created and dropped.
    #[arg(
        long,
        env = "CUSTOS_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
}

impl StoreArgs {
    /// Refuses a backend there is none of, before any work.
    pub fn check(&self) -> Result<()> {
        if !matches!(self.backend.as_str(), "sqlite" | "postgres") {
            bail!("unknown backend `{}`: sqlite or postgres", self.backend);
        }
        Ok(())
    }

    /// A fresh store for the benchmark (see [`scratch_store`]).
    pub async fn open(&self, dir: &std::path::Path) -> Result<(SqlStore, Scratch)> {
        self.check()?;
        scratch_store(&self.backend, &self.postgres_url, dir).await
    }
}

#[derive(Debug, Serialize)]
struct Report {
    backend: String,
    requests: usize,
    concurrency: usize,
    customers: usize,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: usize,
    decisions: [usize; 3],
    /// With a webhook endpoint registered: the deliveries it received during the run.
    webhook_deliveries: Option<usize>,
    cores: usize,
    cpu: String,
}

/// The value after `key:` on the first line of a /proc file that starts with `key`.
pub(crate) fn proc_field(file: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(file).ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    })
}

pub(crate) fn cpu_model() -> String {
    proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into())
}

fn cc(s: &str) -> Country {
    Country::parse(s).expect("static country codes")
}

fn person(i: usize, country: &str) -> Individual {
    Individual {
        full_name: format!("Bench Person {i}"),
        given_names: None,
        family_name: None,
        date_of_birth: None,
        citizenships: vec![cc(country)],
        us_lawful_permanent_resident: false,
        residence: Some(custos_core::Address {
            line1: format!("{i} Main Street"),
            line2: None,
            city: "Town".into(),
            region: None,
            postal_code: None,
            country: cc(country),
        }),
        national_ids: vec![],
    }
}

pub(crate) async fn seed(svc: &Service, n: usize) -> Result<Vec<String>> {
    const FOREIGN: [&str; 8] = ["DE", "BR", "IN", "CN", "NG", "GB", "RU", "MX"];
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c = match i % 10 {
            0..=4 => {
                svc.create_customer(CustomerProfile::Individual(person(i, "US")), vec![], None)
            }
            5..=8 => svc.create_customer(
                CustomerProfile::Individual(person(i, FOREIGN[i % FOREIGN.len()])),
                vec![],
                None,
            ),
            _ => svc.create_customer(
                CustomerProfile::Entity(Entity {
                    legal_name: format!("Bench Cloud {i} Ltd"),
                    jurisdiction: cc(FOREIGN[i % FOREIGN.len()]),
                    jurisdiction_subdivision: None,
                    registration_number: None,
                    lei: None,
                    addresses: vec![],
                }),
                vec![BeneficialOwner {
                    person: person(i, "GB"),
                    ownership_percent: Some(51.0),
                    substantial_control: false,
                    title: None,
                }],
                None,
            ),
        };
        ids.push(c.await?.id.to_string());
    }
    Ok(ids)
}

pub(crate) struct Scratch {
    admin: Option<(String, String)>,
}

impl Scratch {
    pub(crate) async fn drop_db(&self) {
        if let Some((admin, name)) = &self.admin
            && let Ok(mut c) = sqlx_admin(admin).await
        {
            let _ = c.execute_drop(name).await;
        }
    }
}

/// A minimal admin connection to create and drop the scratch database.
struct Admin(custos_store::SqlStore);

async fn sqlx_admin(url: &str) -> Result<Admin> {
    let kr = Arc::new(FileKeyring::open_or_create(
        &std::env::temp_dir().join(format!("custos-bench-admin-{}.json", std::process::id())),
    )?);
    Ok(Admin(SqlStore::open_postgres(url, kr).await?))
}

impl Admin {
    async fn execute_drop(&mut self, name: &str) -> Result<()> {
        self.0
            .execute_unchecked(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        Ok(())
    }
}

/// A fresh store for a benchmark: a SQLite file in `dir`, or a scratch database on the
/// PostgreSQL server (dropped by [`Scratch::drop_db`]); its keyring in `dir`. Not migrated.
pub(crate) async fn scratch_store(
    backend: &str,
    postgres_url: &str,
    dir: &std::path::Path,
) -> Result<(SqlStore, Scratch)> {
    let keyring = Arc::new(FileKeyring::open_or_create(&dir.join("keyring.json"))?);
    Ok(match backend {
        "sqlite" => (
            SqlStore::open_sqlite(&dir.join("custos.db"), keyring).await?,
            Scratch { admin: None },
        ),
        "postgres" => {
            let name = format!("custos_bench_{}", std::process::id());
            let admin = sqlx_admin(postgres_url)
                .await
                .context("cannot reach PostgreSQL")?;
            admin
                .0
                .execute_unchecked(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            admin
                .0
                .execute_unchecked(&format!("CREATE DATABASE {name}"))
                .await?;
            let base = postgres_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .context("the PostgreSQL URL has no database part")?;
            (
                SqlStore::open_postgres(&format!("{base}/{name}"), keyring).await?,
                Scratch {
                    admin: Some((postgres_url.to_owned(), name)),
                },
            )
        }
        other => bail!("unknown backend `{other}`: sqlite or postgres"),
    })
}

pub async fn run(cmd: BenchCmd) -> Result<()> {
    if let BenchCmd::Screen(args) = cmd {
        return crate::bench_screen::run(args);
    }
    if let BenchCmd::Ledger(args) = cmd {
        return crate::bench_ledger::run(args).await;
    }
    if let BenchCmd::Customers(args) = cmd {
        return crate::bench_customers::run(args).await;
    }
    if let BenchCmd::Links(args) = cmd {
        return crate::bench_links::run(args).await;
    }
    if let BenchCmd::Detection(args) = cmd {
        return crate::bench_detection::run(args).await;
    }
    if let BenchCmd::Legal(args) = cmd {
        return crate::bench_legal::run(args).await;
    }
    if let BenchCmd::Console(args) = cmd {
        return crate::bench_console::run(args).await;
    }
    if let BenchCmd::Ids {
        per_kind,
        lines,
        kinds,
        python,
    } = cmd
    {
        return ids(per_kind, lines, kinds, &python);
    }
    let BenchCmd::Accounts {
        store: target,
        requests,
        warmup,
        concurrency,
        customers,
        no_idempotency,
        webhook,
        no_detection,
        json,
    } = cmd
    else {
        unreachable!("ids handled above")
    };
    if requests == 0 || concurrency == 0 || customers == 0 {
        bail!("--requests, --concurrency and --customers must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let (store, scratch) = target.open(dir.path()).await?;
    let backend = target.backend;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let mut policy = CipPolicy::default();
    if no_detection {
        policy.detection.rules.clear();
    }
    let svc = Service::new(store.clone(), Arc::new(policy), system_clock());
    eprintln!("seeding {customers} customers on {backend}...");
    let ids = Arc::new(seed(&svc, customers).await?);
    let (token, _) = svc.create_key("bench", Role::Integrator).await?;
    let delivered = Arc::new(AtomicUsize::new(0));
    let dispatcher = if webhook {
        let got = delivered.clone();
        let receiver = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                got.fetch_add(1, Ordering::Relaxed);
                async { axum::http::StatusCode::NO_CONTENT }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let at = l.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(l, receiver).await;
        });
        let admin = custos_app::Actor {
            id: "bench".into(),
            role: "admin".into(),
        };
        svc.add_webhook_endpoint(&admin, &format!("http://{at}/hook"), vec!["*".into()])
            .await?;
        Some(custos_app::webhooks::spawn_dispatcher(
            svc.clone(),
            Duration::from_secs(1),
        ))
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router(AppState::new(svc))).await;
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = format!("http://{addr}/v1/accounts");
    let total = warmup + requests;
    let next = Arc::new(AtomicUsize::new(0));
    let bar = indicatif::ProgressBar::new(total as u64);
    let run_id = uuid_like();
    let mut tasks = vec![];
    let started = Arc::new(std::sync::Mutex::new(None::<Instant>));
    for _ in 0..concurrency {
        let (client, url, token, ids, next, bar, run_id, started) = (
            client.clone(),
            url.clone(),
            token.clone(),
            ids.clone(),
            next.clone(),
            bar.clone(),
            run_id.clone(),
            started.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let mut errors = 0usize;
            let mut decisions = [0usize; 3];
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                if i == warmup
                    && let Ok(mut s) = started.lock()
                {
                    s.get_or_insert_with(Instant::now);
                }
                let offering = if i % 10 == 9 { "trial" } else { "paid" };
                let body = serde_json::json!({
                    "customer_id": ids[(i * 7919) % ids.len()],
                    "kind": "direct",
                    "offering": offering,
                });
                let t = Instant::now();
                let mut req = client.post(&url).bearer_auth(&token).json(&body);
                if !no_idempotency {
                    req = req.header("idempotency-key", format!("{run_id}-{i}"));
                }
                let r = req.send().await;
                let ok = match r {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        let v: serde_json::Value = resp.json().await.unwrap_or_default();
                        match v["decision"].as_str() {
                            Some("approve") => decisions[0] += 1,
                            Some("pending") => decisions[1] += 1,
                            _ => decisions[2] += 1,
                        }
                        true
                    }
                    _ => false,
                };
                let elapsed = t.elapsed();
                if i >= warmup {
                    if ok {
                        lat.push(elapsed);
                    } else {
                        errors += 1;
                    }
                }
                bar.inc(1);
            }
            (lat, errors, decisions)
        }));
    }
    let mut lat = vec![];
    let mut errors = 0;
    let mut decisions = [0usize; 3];
    for t in tasks {
        let (l, e, d) = t.await?;
        lat.extend(l);
        errors += e;
        for k in 0..3 {
            decisions[k] += d[k];
        }
    }
    let seconds = started
        .lock()
        .ok()
        .and_then(|s| *s)
        .map(|s| s.elapsed().as_secs_f64())
        .unwrap_or(f64::NAN);
    bar.finish_and_clear();
    server.abort();
    scratch.drop_db().await;
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    let report = Report {
        backend,
        requests,
        concurrency,
        customers,
        seconds,
        per_second: lat.len() as f64 / seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        errors,
        decisions,
        webhook_deliveries: dispatcher.map(|d| {
            d.abort();
            delivered.load(Ordering::Relaxed)
        }),
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu: cpu_model(),
    };
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: {} account opens in {:.2}s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, \
             {} errors (approve {}, pending {}, refuse {}); {} cores, {}",
            report.backend,
            report.requests,
            report.seconds,
            report.per_second,
            report.p50_ms,
            report.p99_ms,
            report.max_ms,
            report.errors,
            decisions[0],
            decisions[1],
            decisions[2],
            report.cores,
            report.cpu
        );
        if let Some(n) = report.webhook_deliveries {
            println!("webhook endpoint registered: {n} deliveries received during the run");
        }
    }
    if errors > 0 {
        bail!("{errors} request(s) failed");
    }
    Ok(())
}

fn uuid_like() -> String {
    format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

const ORACLE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../custos-ids/tests/oracle");

/// Feeds `input` to a batch process and returns the wall time and the output line count.
fn timed(mut cmd: std::process::Command, input: &[u8]) -> Result<(f64, usize)> {
    use std::io::Write;
    use std::process::Stdio;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the batch process")?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    let secs = start.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writer thread failed"))??;
    if !out.status.success() {
        bail!("the batch process failed");
    }
    Ok((secs, out.stdout.iter().filter(|&&b| b == b'\n').count()))
}

fn ids(per_kind: usize, lines: usize, kinds: Option<String>, python: &str) -> Result<()> {
    let out = std::process::Command::new(python)
        .arg(format!("{ORACLE_DIR}/corpus.py"))
        .args(["--per-kind", &per_kind.to_string()])
        .output()
        .context("cannot run the corpus generator")?;
    if !out.status.success() {
        bail!(
            "the corpus generator failed (are the oracles installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut values: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in String::from_utf8(out.stdout)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(kind), Some(value)) = (v["kind"].as_str(), v["value"].as_str()) else {
            continue;
        };
        // The IBAN corpus lists each value once per oracle.
        if kind == "iban" && v["oracle"] != "schwifty" {
            continue;
        }
        values
            .entry(kind.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    // Kinds no Python library in the oracle set covers: custos alone, on synthetic values.
    let mut custos_only = vec![];
    for (kind, vals) in synthetic() {
        custos_only.push(kind.clone());
        values.insert(kind, vals);
    }
    let wanted: Option<Vec<String>> = kinds.map(|k| k.split(',').map(str::to_owned).collect());
    let exe = std::env::current_exe()?;
    println!(
        "{:<16} {:>8} {:>12} {:>12} {:>7}",
        "kind", "lines", "custos/s", "python/s", "ratio"
    );
    for (kind, vals) in values {
        if wanted.as_ref().is_some_and(|w| !w.contains(&kind)) {
            continue;
        }
        let mut input = Vec::new();
        let mut n = 0;
        while n < lines {
            for v in &vals {
                if kind == "mrz" {
                    input.extend(serde_json::to_string(v)?.into_bytes());
                } else {
                    input.extend(v.as_bytes());
                }
                input.push(b'\n');
                n += 1;
            }
        }
        let mut c = std::process::Command::new(&exe);
        c.args(["id", "check", "--batch", &kind]);
        let (cs, cn) = timed(c, &input)?;
        let cr = n as f64 / cs;
        if custos_only.contains(&kind) {
            if cn != n {
                bail!("{kind}: {n} lines in, {cn} out");
            }
            println!("{kind:<16} {n:>8} {cr:>12.0} {:>12} {:>7}", "-", "-");
            continue;
        }
        let mut p = std::process::Command::new(python);
        p.arg(format!("{ORACLE_DIR}/batch.py")).arg(&kind);
        let (ps, pn) = timed(p, &input)?;
        if cn != n || pn != n {
            bail!("{kind}: {n} lines in, {cn} and {pn} out");
        }
        let pr = n as f64 / ps;
        println!("{kind:<16} {n:>8} {cr:>12.0} {pr:>12.0} {:>6.1}x", cr / pr);
    }
    Ok(())
}

/// Inputs for the kinds without a Python baseline: valid values and broken ones.
fn synthetic() -> Vec<(String, Vec<String>)> {
    let emails = (0..1000)
        .map(|i| match i % 4 {
            0 => format!("user.{i}+tag@example{}.com", i % 50),
            1 => format!("First.Last{i}@gmail.com"),
            2 => format!("bad{i}@@example.com"),
            _ => format!("ich{i}@münchen.de"),
        })
        .collect();
    let wallets = [
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x52908400098527886E0F7030069857D2E4169Ee7",
        "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9",
        "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
        "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
        "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let countries = [
        "DE",
        "deu",
        "276",
        "Germany",
        "PR",
        "XX",
        "United States",
        "KOR",
        "999",
        "Bolivia",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    vec![
        ("email".to_owned(), emails),
        ("wallet".to_owned(), wallets),
        ("country".to_owned(), countries),
    ]
}
