//! `custos ingest nats`: consumes a NATS JetStream stream into the access ledger.
//!
//! A message is acknowledged only once the events it carries are durable in the ledger. A
//! restart resumes from the durable consumer's position; what was appended but not yet
//! acknowledged when the process died is delivered again, and recognised by its source and
//! request id: the keys of every event ingested this way are kept beside the ledger
//! (`nats-dedupe`), and on start the events appended since the last acknowledged batch
//! (`nats-offset`) are read back from the ledger itself, so a death between append and
//! acknowledgement never duplicates an event that has a request id. A message that is not an
//! event, or whose event is refused (its time ahead of the clock, say), is terminated (never
//! delivered again) and reported by its stream sequence and why.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_nats::jetstream;
use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::pull;
use custos_ledger::{Event, Ledger};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, clap::Args)]
pub struct NatsArgs {
    /// The JetStream stream to consume.
    #[arg(long)]
    pub stream: String,
    /// The subject (filter) within it.
    #[arg(long)]
    pub subject: String,
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub server: String,
    /// The durable consumer's name: its position survives restarts.
    #[arg(long, default_value = "custos-ledger")]
    pub durable: String,
    /// Messages per batch (one ledger commit each).
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Exit once no message has come for this many seconds and none awaits delivery or
    /// acknowledgement (a backfill); default: run for ever.
    #[arg(long)]
    pub exit_when_idle: Option<u64>,
    /// Seconds before a delivered but unacknowledged message (its consumer died) is delivered
    /// again.
    #[arg(long, default_value_t = 30)]
    pub ack_wait: u64,
}

/// What identifies an event for de-duplication: its source and request id.
fn key(e: &Event) -> Option<[u8; 16]> {
    let r = e.request_id.as_ref()?;
    let mut h = Sha256::new();
    h.update(e.source.as_bytes());
    h.update([0]);
    h.update(r.as_bytes());
    Some(h.finalize()[..16].try_into().unwrap_or_default())
}

struct Dedupe {
    seen: HashSet<[u8; 16]>,
    file: std::fs::File,
    offset_path: PathBuf,
}

impl Dedupe {
    fn open(dir: &Path, ledger: &Ledger) -> Result<Dedupe> {
        let path = dir.join("nats-dedupe");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // A torn last key (a death mid-write) is dropped; the ledger scan below covers it.
        let whole = bytes.len() / 16 * 16;
        let mut seen: HashSet<[u8; 16]> = bytes[..whole]
            .chunks_exact(16)
            .map(|c| c.try_into().unwrap_or_default())
            .collect();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.set_len(whole as u64)
            .with_context(|| format!("cannot trim {}", path.display()))?;
        let offset_path = dir.join("nats-offset");
        let size = ledger.access.size();
        let from = match std::fs::read_to_string(&offset_path) {
            Ok(s) => s.trim().parse::<u64>().unwrap_or(0).min(size),
            Err(_) => size,
        };
        // Appended but perhaps never acknowledged: their keys are kept in the file too, before
        // the offset can move past them.
        let mut recovered = vec![];
        for i in from..size {
            if let Ok(e) = Event::decode(&ledger.access.entry(i)?)
                && let Some(k) = key(&e)
                && seen.insert(k)
            {
                recovered.push(k);
            }
        }
        let mut d = Dedupe {
            seen,
            file,
            offset_path,
        };
        d.record(&recovered)?;
        Ok(d)
    }

    fn record(&mut self, keys: &[[u8; 16]]) -> Result<()> {
        let buf: Vec<u8> = keys.iter().flatten().copied().collect();
        self.file
            .write_all(&buf)
            .context("cannot write the de-duplication keys")?;
        Ok(())
    }

    fn acknowledged_up_to(&self, size: u64) -> Result<()> {
        let tmp = self.offset_path.with_extension("tmp");
        std::fs::write(&tmp, size.to_string()).context("cannot write the NATS offset")?;
        std::fs::rename(&tmp, &self.offset_path).context("cannot write the NATS offset")?;
        Ok(())
    }
}

pub async fn run(ledger: Arc<Ledger>, a: NatsArgs) -> Result<()> {
    let mut dedupe = {
        let l = ledger.clone();
        tokio::task::spawn_blocking(move || Dedupe::open(l.dir(), &l)).await??
    };
    let client = async_nats::connect(&a.server)
        .await
        .with_context(|| format!("cannot connect to NATS at {}", a.server))?;
    let js = jetstream::new(client);
    let stream = js
        .get_stream(&a.stream)
        .await
        .with_context(|| format!("no JetStream stream `{}`", a.stream))?;
    let mut consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &a.durable,
            pull::Config {
                durable_name: Some(a.durable.clone()),
                filter_subject: a.subject.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(a.ack_wait.max(1)),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("cannot create the consumer `{}`", a.durable))?;
    eprintln!(
        "consuming {} ({}) into the access ledger as `{}`",
        a.stream, a.subject, a.durable
    );
    let mut idle_since = Instant::now();
    let (mut appended, mut duplicates, mut refused) = (0u64, 0u64, 0u64);
    loop {
        let mut msgs = consumer
            .fetch()
            .max_messages(a.batch.max(1))
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .context("cannot fetch from NATS")?;
        let mut batch = vec![];
        while let Some(m) = msgs.next().await {
            match m {
                Ok(m) => batch.push(m),
                Err(e) => {
                    eprintln!("fetch: {e}");
                    break;
                }
            }
        }
        if batch.is_empty() {
            if let Some(s) = a.exit_when_idle
                && idle_since.elapsed() >= Duration::from_secs(s)
            {
                let info = consumer
                    .info()
                    .await
                    .context("cannot read the consumer's state")?;
                if info.num_pending == 0 && info.num_ack_pending == 0 {
                    break;
                }
            }
            continue;
        }
        idle_since = Instant::now();
        let mut events = vec![];
        let mut keys = vec![];
        let mut in_batch: HashSet<[u8; 16]> = HashSet::new();
        let mut bad = vec![];
        let now = chrono::Utc::now();
        for (i, m) in batch.iter().enumerate() {
            // Why a message is refused names the field, never the value.
            let parsed =
                custos_app::events::parse_event(&m.payload, now).map_err(|r| r.to_string());
            match parsed {
                Ok(e) => match key(&e) {
                    Some(k) if dedupe.seen.contains(&k) || !in_batch.insert(k) => duplicates += 1,
                    Some(k) => {
                        keys.push(k);
                        events.push(e);
                    }
                    None => events.push(e),
                },
                Err(why) => bad.push((i, why)),
            }
        }
        if !events.is_empty() {
            let l = ledger.clone();
            let n = events.len() as u64;
            tokio::task::spawn_blocking(move || l.access.append(&events))
                .await?
                .context("cannot append to the ledger")?;
            appended += n;
        }
        dedupe.record(&keys)?;
        dedupe.seen.extend(keys);
        for (i, m) in batch.iter().enumerate() {
            if let Some((_, why)) = bad.iter().find(|(b, _)| *b == i) {
                refused += 1;
                let seq = m.info().map(|i| i.stream_sequence).unwrap_or(0);
                eprintln!("stream sequence {seq}: {why}; terminated");
                m.ack_with(AckKind::Term)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot terminate a message: {e}"))?;
            } else {
                m.double_ack()
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot acknowledge a message: {e}"))?;
            }
        }
        dedupe.acknowledged_up_to(ledger.access.size())?;
        println!(
            "appended {appended}, duplicates {duplicates}, refused {refused}; ledger size {}",
            ledger.access.size()
        );
    }
    Ok(())
}
