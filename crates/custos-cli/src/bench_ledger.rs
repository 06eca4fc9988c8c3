//! `custos bench ledger`: the access ledger's figures on synthetic but realistic traffic (many
//! accounts, Zipf-distributed activity, IPv4 and IPv6, a month of time): durable ingest in
//! process on one thread and over HTTP on loopback, beside PostgreSQL `COPY` of the same events
//! into an indexed table on the machine's server; bytes on disk per event; an account's day and
//! an address's month as queries; inclusion proofs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use custos_ledger::index::Net;
use custos_ledger::query::{account_events, net_accounts};
use custos_ledger::{Action, Event, Ledger};
use serde::Serialize;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Events ingested in process (and queried).
    #[arg(long, default_value_t = 2_000_000)]
    pub events: u64,
    /// Events sent over HTTP (0 to skip).
    #[arg(long, default_value_t = 500_000)]
    pub http_events: u64,
    /// HTTP clients sending at once.
    #[arg(long, default_value_t = 2)]
    pub http_clients: usize,
    #[arg(long, default_value_t = 100_000)]
    pub accounts: u64,
    /// Space the events in time as if this many spanned the month (default: `--events`): a
    /// short run then has the density, and so the bytes per event, of a long one.
    #[arg(long)]
    pub span_events: Option<u64>,
    /// Events per batch (one commit each; the API takes up to 10,000).
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Queries of each kind, and proofs.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Where the scratch table for the `COPY` baseline is made and dropped.
    #[arg(
        long,
        env = "CUSTOS_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    #[arg(long)]
    pub no_postgres: bool,
    /// Events copied into PostgreSQL (default: as many as ingested); the figure compared is
    /// a rate, so a run over 100,000,000 events may copy fewer.
    #[arg(long)]
    pub copy_events: Option<u64>,
    /// Skip the DuckDB baseline over the Parquet export.
    #[arg(long)]
    pub no_duckdb: bool,
    #[arg(long, env = "CUSTOS_PYTHON", default_value = "python3")]
    pub python: String,
    /// Where the ledgers are written (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Synthetic traffic, deterministic from the seed.
pub struct Traffic {
    rng: Rng,
    /// Cumulative Zipf weights (s = 1.1) over accounts.
    cdf: Vec<f64>,
    start: DateTime<Utc>,
    step_ns: i64,
    i: u64,
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_000_000, 0).unwrap_or_default()
}

impl Traffic {
    pub fn new(accounts: u64, events: u64, seed: u64) -> Traffic {
        let mut cdf = Vec::with_capacity(accounts as usize);
        let mut total = 0.0;
        for k in 1..=accounts.max(1) {
            total += 1.0 / (k as f64).powf(1.1);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Traffic {
            rng: Rng(seed),
            cdf,
            start: start_time(),
            step_ns: (30 * 86_400 * 1_000_000_000i64) / events.max(1) as i64,
            i: 0,
        }
    }

    /// An account drawn by activity.
    pub fn account(&mut self) -> u64 {
        let u = self.rng.unit();
        self.cdf.partition_point(|&c| c < u) as u64
    }

    /// One of an account's usual addresses (three of them; IPv6 for three accounts in ten).
    pub fn home_ip(account: u64, which: u64) -> IpAddr {
        let h = account
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(which.wrapping_mul(0xbf58_476d_1ce4_e5b9));
        if account % 10 < 3 {
            IpAddr::from(
                (0x2001_0db8_0000_0000_0000_0000_0000_0000u128
                    | (u128::from(h) << 16)
                    | u128::from(which))
                .to_be_bytes(),
            )
        } else {
            IpAddr::from(((h >> 32) as u32 | 0x0100_0000).to_be_bytes())
        }
    }

    pub fn next_event(&mut self) -> Event {
        let a = self.account();
        let r = self.rng.below(100);
        let ip = if r < 5 {
            IpAddr::from((self.rng.next() as u32).to_be_bytes())
        } else {
            Self::home_ip(a, r % 3)
        };
        let action = match self.rng.below(100) {
            0..60 => Action::ApiCall,
            60..70 => Action::Login,
            70..78 => Action::Logout,
            78..85 => Action::Console,
            85..93 => Action::Ssh,
            93..96 => Action::AdminChange,
            96..98 => Action::KeyChange,
            98 => Action::BillingChange,
            _ => Action::Other,
        };
        let source = match action {
            Action::ApiCall => "api-gw",
            Action::Ssh => "bastion",
            Action::Console => "console",
            _ => "sso",
        };
        let t = self.start
            + Duration::nanoseconds(
                self.step_ns * self.i as i64 + self.rng.below(1_000_000) as i64,
            );
        let e = Event {
            account_id: format!("acc_{a:06}"),
            time: t,
            ip,
            port: matches!(action, Action::Ssh).then_some(22),
            action,
            source: source.into(),
            actor: (self.rng.below(4) == 0).then(|| format!("u{}", self.rng.below(20))),
            user_agent: None,
            request_id: matches!(action, Action::ApiCall).then(|| format!("r{:x}", self.i)),
            ssh_key_fingerprint: None,
        };
        self.i += 1;
        e
    }
}

#[derive(Debug, Serialize)]
struct Figures {
    events: u64,
    accounts: u64,
    batch: usize,
    ingest_events_per_s: f64,
    /// How long the index builder took to catch up once ingest ended.
    index_catch_up_s: f64,
    bytes_per_event: f64,
    files: Vec<(String, u64)>,
    http: Option<Http>,
    postgres_copy: Option<Copy>,
    account_day: Latency,
    ip_month: Latency,
    proof: Latency,
    /// The same events as zstd Parquet (`custos ledger export`), bytes per event.
    parquet_bytes_per_event: f64,
    /// DuckDB running the same queries over that Parquet file.
    duckdb: Option<serde_json::Value>,
    cpu: String,
}

#[derive(Debug, Serialize)]
struct Http {
    events: u64,
    clients: usize,
    events_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Copy {
    events: u64,
    events_per_s: f64,
    /// The table and its indexes, bytes per event.
    bytes_per_event: f64,
}

#[derive(Debug, Serialize)]
struct Latency {
    n: usize,
    p50_us: f64,
    p99_us: f64,
    /// Results per query, on average.
    mean_results: f64,
}

fn latency(mut v: Vec<f64>, results: usize) -> Latency {
    v.sort_by(f64::total_cmp);
    let p = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Latency {
        n: v.len(),
        p50_us: p(0.5),
        p99_us: p(0.99),
        mean_results: results as f64 / v.len().max(1) as f64,
    }
}

/// The files of a log, and of its index directory as one.
pub fn dir_size(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            let len = if m.is_dir() {
                dir_size(&e.path()).iter().map(|f| f.1).sum()
            } else {
                m.len()
            };
            Some((e.file_name().to_string_lossy().into_owned(), len))
        })
        .collect();
    v.sort();
    v
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn postgres_copy(url: &str, a: &Args) -> Result<Copy> {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(url)
        .await
        .context("cannot reach PostgreSQL for the COPY baseline (--no-postgres to skip)")?;
    let table = format!("custos_bench_events_{}", std::process::id());
    sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE {table} (account_id text NOT NULL, time timestamptz NOT NULL, \
         nanos int NOT NULL, ip inet NOT NULL, port int, action text NOT NULL, \
         source text NOT NULL, actor text, user_agent text, request_id text)"
    ))
    .execute(&mut conn)
    .await?;
    sqlx::query(&format!("CREATE INDEX ON {table} (account_id, time)"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("CREATE INDEX ON {table} (ip, time)"))
        .execute(&mut conn)
        .await?;
    let events = a.copy_events.unwrap_or(a.events).min(a.events);
    let span = a.span_events.unwrap_or(a.events);
    let mut t = Traffic::new(a.accounts, span, 13984);
    let started = Instant::now();
    let mut left = events;
    while left > 0 {
        let n = (a.batch as u64).min(left);
        let mut buf = String::with_capacity(n as usize * 120);
        for _ in 0..n {
            let e = t.next_event();
            buf += &format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                csv_field(&e.account_id),
                e.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                e.time.timestamp_subsec_nanos(),
                e.ip,
                e.port.map(|p| p.to_string()).unwrap_or_default(),
                e.action.as_str(),
                csv_field(&e.source),
                e.actor.as_deref().map(csv_field).unwrap_or_default(),
                e.user_agent.as_deref().map(csv_field).unwrap_or_default(),
                e.request_id.as_deref().map(csv_field).unwrap_or_default(),
            );
        }
        // One transaction per batch, committed (and so synced) like a ledger commit.
        let mut tx = conn.begin().await?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY {table} FROM STDIN (FORMAT csv)"))
            .await?;
        copy.send(buf.into_bytes()).await?;
        copy.finish().await?;
        tx.commit().await?;
        left -= n;
    }
    let secs = started.elapsed().as_secs_f64();
    let (bytes,): (i64,) = sqlx::query_as(&format!("SELECT pg_total_relation_size('{table}')"))
        .fetch_one(&mut conn)
        .await?;
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&mut conn)
        .await?;
    Ok(Copy {
        events,
        events_per_s: events as f64 / secs,
        bytes_per_event: bytes as f64 / events as f64,
    })
}

async fn http(a: &Args, root: &std::path::Path) -> Result<Http> {
    use custos_store::Store;
    let dir = root.join("http");
    std::fs::create_dir_all(&dir)?;
    let keyring = Arc::new(custos_store::FileKeyring::open_or_create(
        &dir.join("keyring.json"),
    )?);
    let store = custos_store::SqlStore::open_sqlite(&dir.join("custos.db"), keyring).await?;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let ledger = Arc::new(Ledger::open(&dir.join("ledger"), "custos.bench/ledger")?);
    let service = custos_app::App::new(
        store,
        Arc::new(custos_core::CipPolicy::default()),
        custos_app::system_clock(),
    )
    .with_ledger(Some(ledger));
    let (token, _) = service
        .create_key("bench", custos_app::keys::Role::Integrator)
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            custos_server::router(custos_server::AppState::new(service)),
        )
        .await;
    });
    // The bodies are made before the clock starts: the client's work is not the server's.
    let mut t = Traffic::new(a.accounts, a.http_events, 7);
    let mut bodies = vec![];
    let mut left = a.http_events;
    while left > 0 {
        let n = (a.batch as u64).min(left).min(10_000);
        let mut body = Vec::with_capacity(n as usize * 160);
        for _ in 0..n {
            serde_json::to_writer(&mut body, &t.next_event())?;
            body.push(b'\n');
        }
        bodies.push(body);
        left -= n;
    }
    let bodies = Arc::new(std::sync::Mutex::new(bodies));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..a.http_clients.max(1) {
        let (bodies, client, token) = (bodies.clone(), client.clone(), token.clone());
        let url = format!("http://{addr}/v1/events");
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = bodies.lock().ok().and_then(|mut b| b.pop()) else {
                    return Ok::<(), anyhow::Error>(());
                };
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await?;
                if !r.status().is_success() {
                    anyhow::bail!("POST /v1/events: {}", r.status());
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    server.abort();
    Ok(Http {
        events: a.http_events,
        clients: a.http_clients,
        events_per_s: a.http_events as f64 / secs,
    })
}

pub async fn run(a: Args) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let root = a.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    let ledger_dir = root.join("inproc");
    let _ = std::fs::remove_dir_all(&ledger_dir);
    let ledger = Ledger::open(&ledger_dir, "custos.bench/ledger")?;
    let span = a.span_events.unwrap_or(a.events);
    let mut t = Traffic::new(a.accounts, span, 13984);
    let bar = indicatif::ProgressBar::new(a.events);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} ingesting {bar:30} {pos}/{len} ({per_sec})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Events are made before each batch's clock starts.
    let mut ingest_secs = 0.0;
    let mut left = a.events;
    while left > 0 {
        let n = (a.batch as u64).min(left);
        let batch: Vec<Event> = (0..n).map(|_| t.next_event()).collect();
        let s = Instant::now();
        ledger.access.append(&batch)?;
        ingest_secs += s.elapsed().as_secs_f64();
        left -= n;
        bar.inc(n);
    }
    bar.finish_and_clear();
    // The index is built behind the writer, on another thread; queries are measured once it
    // has caught up.
    let s = Instant::now();
    ledger.access.wait_indexed()?;
    let index_catch_up_s = s.elapsed().as_secs_f64();
    let files = dir_size(&ledger_dir.join("access"));
    let bytes: u64 = files.iter().map(|f| f.1).sum();

    // Queries: an account's day, an address's month; accounts drawn by activity.
    let mut q = Traffic::new(a.accounts, span, 99);
    let (mut day, mut day_results) = (vec![], 0);
    let (mut day_params, mut month_params) = (vec![], vec![]);
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for _ in 0..a.queries {
        let acc = format!("acc_{:06}", q.account());
        let from = start_time() + Duration::days(q.rng.below(29) as i64);
        day_params.push(serde_json::json!([
            acc,
            rfc(from),
            rfc(from + Duration::days(1))
        ]));
        let s = Instant::now();
        let (found, _) = account_events(
            &ledger.access,
            &acc,
            from,
            from + Duration::days(1),
            100_000,
        )?;
        day.push(s.elapsed().as_secs_f64() * 1e6);
        day_results += found.len();
    }
    let (mut month, mut month_results) = (vec![], 0);
    for _ in 0..a.queries {
        let acc = q.account();
        let ip = Traffic::home_ip(acc, q.rng.below(3));
        let net = Net::parse(&ip.to_string()).context("an address")?;
        month_params.push(serde_json::json!([
            ip.to_string(),
            rfc(start_time()),
            rfc(start_time() + Duration::days(30))
        ]));
        let s = Instant::now();
        let uses = net_accounts(
            &ledger.access,
            &net,
            start_time(),
            start_time() + Duration::days(30),
        )?;
        month.push(s.elapsed().as_secs_f64() * 1e6);
        month_results += uses.len();
    }
    let size = ledger.access.size();
    let mut proofs = vec![];
    for _ in 0..a.queries.max(1000) {
        let i = q.rng.below(size);
        let s = Instant::now();
        let p = ledger.access.inclusion_proof(i, size)?;
        proofs.push(s.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(p);
    }
    let pq = root.join("events.parquet");
    crate::ledger::export_log(
        &ledger.access,
        &pq,
        &crate::ledger::Only::default(),
        None,
        false,
    )?;
    let parquet_bytes = std::fs::metadata(&pq)?.len();
    drop(ledger);
    let duckdb = if a.no_duckdb {
        None
    } else {
        let qf = root.join("queries.json");
        std::fs::write(
            &qf,
            serde_json::to_vec(
                &serde_json::json!({"account_day": day_params, "ip_month": month_params}),
            )?,
        )?;
        let out = std::process::Command::new(&a.python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tools/bench/duckdb_ledger.py"
            ))
            .arg(&pq)
            .arg(&qf)
            .output()
            .with_context(|| format!("cannot run {}", a.python))?;
        if !out.status.success() {
            anyhow::bail!(
                "the DuckDB baseline failed (pip install -r tools/bench/requirements.txt): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(serde_json::from_slice(&out.stdout)?)
    };
    let http = if a.http_events > 0 {
        Some(http(&a, &root).await?)
    } else {
        None
    };
    let postgres_copy = if a.no_postgres {
        None
    } else {
        Some(postgres_copy(&a.postgres_url, &a).await?)
    };
    let f = Figures {
        events: a.events,
        accounts: a.accounts,
        batch: a.batch,
        ingest_events_per_s: a.events as f64 / ingest_secs,
        index_catch_up_s,
        bytes_per_event: bytes as f64 / a.events as f64,
        files,
        http,
        postgres_copy,
        account_day: latency(day, day_results),
        ip_month: latency(month, month_results),
        proof: latency(proofs, 0),
        parquet_bytes_per_event: parquet_bytes as f64 / a.events as f64,
        duckdb,
        cpu: crate::bench::proc_field("/proc/cpuinfo", "model name").unwrap_or_default(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&f)?);
        return Ok(());
    }
    println!(
        "{} events, {} accounts, batches of {}: durable ingest in process {:.0} events/s; {:.1} bytes/event on disk",
        f.events, f.accounts, f.batch, f.ingest_events_per_s, f.bytes_per_event
    );
    println!(
        "    the index caught up {:.1} s after the last append",
        f.index_catch_up_s
    );
    for (name, len) in &f.files {
        println!(
            "    {name:<12} {:>14} bytes  {:>6.1} bytes/event",
            len,
            *len as f64 / f.events as f64
        );
    }
    if let Some(h) = &f.http {
        println!(
            "HTTP on loopback, {} clients: {:.0} events/s over {} events",
            h.clients, h.events_per_s, h.events
        );
    }
    if let Some(c) = &f.postgres_copy {
        println!(
            "PostgreSQL COPY into an indexed table: {:.0} events/s ({:.1} bytes/event); the ledger in process is {:.2}x",
            c.events_per_s,
            c.bytes_per_event,
            f.ingest_events_per_s / c.events_per_s
        );
    }
    println!(
        "the same events as zstd Parquet: {:.1} bytes/event",
        f.parquet_bytes_per_event
    );
    if let Some(d) = &f.duckdb {
        println!(
            "DuckDB {} over the Parquet: an account's day p50 {:.0} us; an address's 30 days p50 {:.0} us",
            d["duckdb"].as_str().unwrap_or("?"),
            d["account_day"]["p50_us"].as_f64().unwrap_or(0.0),
            d["ip_month"]["p50_us"].as_f64().unwrap_or(0.0)
        );
    }
    for (what, l) in [
        ("an account's day", &f.account_day),
        ("an address's 30 days", &f.ip_month),
        ("an inclusion proof", &f.proof),
    ] {
        println!(
            "{what}: p50 {:.0} us, p99 {:.0} us over {} ({:.1} results each)",
            l.p50_us, l.p99_us, l.n, l.mean_results
        );
    }
    Ok(())
}
