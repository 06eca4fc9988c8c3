//! `custos bench screen`: screening speed on the real OFAC SDN and UN lists and on a synthetic
//! list built from them (see [`custos_screen::synth`]), beside rapidfuzz's `process.extract`
//! with its Jaro-Winkler scorer over the same names and queries.
//!
//! Queries are the corpus's own names, changed the way real input differs from a list: a
//! misspelt token, tokens reversed, a token dropped, the name as is, and one in five a name the
//! corpus does not hold. Each is screened on one thread, one after another; latency is per
//! query, wall clock.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use custos_screen::ListEntity;
use custos_screen::import::{Format, import};
use custos_screen::screen::{Query, Screener};
use custos_screen::synth::{queries, synthesize};
use serde::Serialize;

const BASELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tools/bench/rapidfuzz_screen.py"
);

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Where the real lists are (watchman/test/testdata/sdn.csv and UN_consolidated.xml).
    #[arg(long, env = "CUSTOS_PEER_DATA", default_value = "../shared/peer-data")]
    pub peer_data: PathBuf,
    /// Names in the synthetic list; 0 for the real lists only.
    #[arg(long, default_value_t = 1_000_000)]
    pub names: usize,
    /// Queries screened against each corpus.
    #[arg(long, default_value_t = 20_000)]
    pub queries: usize,
    /// Of those, how many the baseline runs (it scans every name for each).
    #[arg(long, default_value_t = 200)]
    pub baseline_queries: usize,
    #[arg(long, default_value_t = 13984)]
    pub seed: u64,
    #[arg(long, env = "CUSTOS_PYTHON", default_value = "python3")]
    pub python: String,
    /// Skip the rapidfuzz baseline.
    #[arg(long)]
    pub no_baseline: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Figures {
    corpus: String,
    entities: usize,
    names: usize,
    vocabulary: usize,
    build_s: f64,
    /// Resident memory the build added, MiB.
    index_rss_mib: f64,
    /// The process's resident memory after the build, MiB.
    total_rss_mib: f64,
    /// The index's own estimate of its heap: lookup tables, postings, names, MiB.
    index_heap_mib: [f64; 3],
    queries: usize,
    qps: f64,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
    /// Mean time per query in each stage, µs: normalize, expand, gather, estimate, score.
    stages_us: [f64; 5],
    /// Names the index gathered per query: mean, p50, p99.
    gathered: [f64; 3],
    /// Queries made from a list name whose entity came back among the first ten hits.
    source_in_top10: f64,
    baseline: Option<Baseline>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct Baseline {
    tool: String,
    queries: usize,
    qps: f64,
    p50_us: f64,
    p99_us: f64,
    /// The same queries through custos, for the ratio.
    #[serde(default)]
    custos_p50_us: f64,
    #[serde(default)]
    ratio_p50: f64,
}

/// The process's resident memory, MiB.
fn rss_mib() -> f64 {
    crate::bench::proc_field("/proc/self/status", "VmRSS")
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg:>24} {bar:40} {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.set_message(what.to_owned());
    b
}

fn measure(
    label: &str,
    corpus: Vec<ListEntity>,
    outsiders: &[ListEntity],
    a: &Args,
) -> Result<Figures> {
    if corpus.is_empty() {
        bail!("{label}: no entries to screen against");
    }
    let qs = queries(&corpus, outsiders, a.queries, a.seed ^ 0x5eed);
    let names: Vec<String> = corpus
        .iter()
        .flat_map(|e| e.names.iter().map(|n| n.value.clone()))
        .collect();
    let entities = corpus.len();
    let before = rss_mib();
    let start = Instant::now();
    let s = Screener::build(corpus.into_iter().map(|e| ("list".to_owned(), e)));
    let build_s = start.elapsed().as_secs_f64();
    let after = rss_mib();
    let (tables, postings, heap_names) = s.index_bytes();
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);

    let progress = bar(qs.len(), &format!("screening {label}"));
    let mut lat = Vec::with_capacity(qs.len());
    let mut stages = custos_screen::screen::Stages::default();
    let mut gathered = Vec::with_capacity(qs.len());
    let (mut made_from_list, mut found) = (0usize, 0usize);
    let all = Instant::now();
    for (q, source) in &qs {
        let before = stages.gathered;
        let t = Instant::now();
        let hits = s.screen_timed(
            &Query {
                name: q.clone(),
                ..Default::default()
            },
            Some(10),
            &mut stages,
        );
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        gathered.push((stages.gathered - before) as f64);
        if let Some(id) = source {
            made_from_list += 1;
            if hits.iter().any(|h| &h.entity_id == id) {
                found += 1;
            }
        }
        progress.inc(1);
    }
    let total = all.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let mut sorted = lat.clone();
    sorted.sort_by(f64::total_cmp);
    gathered.sort_by(f64::total_cmp);
    let per_query = |d: std::time::Duration| d.as_secs_f64() * 1e6 / qs.len().max(1) as f64;

    let baseline = if a.no_baseline || a.baseline_queries == 0 {
        None
    } else {
        let k = a.baseline_queries.min(qs.len());
        let mut b = rapidfuzz(&names, &qs[..k], &a.python)?;
        let mut ours: Vec<f64> = lat[..k].to_vec();
        ours.sort_by(f64::total_cmp);
        b.custos_p50_us = percentile(&ours, 0.5);
        b.ratio_p50 = b.p50_us / b.custos_p50_us.max(1e-9);
        Some(b)
    };
    Ok(Figures {
        corpus: label.to_owned(),
        entities,
        names: s.names(),
        vocabulary: s.vocabulary(),
        build_s,
        index_rss_mib: after - before,
        total_rss_mib: after,
        index_heap_mib: [mib(tables), mib(postings), mib(heap_names)],
        queries: qs.len(),
        qps: qs.len() as f64 / total,
        p50_us: percentile(&sorted, 0.5),
        p99_us: percentile(&sorted, 0.99),
        max_us: sorted.last().copied().unwrap_or_default(),
        stages_us: [
            per_query(stages.normalize),
            per_query(stages.expand),
            per_query(stages.gather),
            per_query(stages.estimate),
            per_query(stages.score),
        ],
        gathered: [
            gathered.iter().sum::<f64>() / gathered.len().max(1) as f64,
            percentile(&gathered, 0.5),
            percentile(&gathered, 0.99),
        ],
        source_in_top10: found as f64 / made_from_list.max(1) as f64,
        baseline,
    })
}

/// Runs the rapidfuzz baseline in a Python process over the same names and queries.
fn rapidfuzz(names: &[String], qs: &[(String, Option<String>)], python: &str) -> Result<Baseline> {
    let dir = tempfile::tempdir()?;
    let write = |p: &Path, lines: &mut dyn Iterator<Item = &String>| -> Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(p)?);
        for l in lines {
            writeln!(f, "{}", l.replace('\n', " "))?;
        }
        f.flush()?;
        Ok(())
    };
    let (np, qp) = (dir.path().join("names.txt"), dir.path().join("queries.txt"));
    write(&np, &mut names.iter())?;
    write(&qp, &mut qs.iter().map(|q| &q.0))?;
    eprintln!(
        "rapidfuzz: {} queries over {} names (brute force)...",
        qs.len(),
        names.len()
    );
    let out = std::process::Command::new(python)
        .arg(BASELINE)
        .arg(&np)
        .arg(&qp)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run the rapidfuzz baseline")?;
    if !out.status.success() {
        bail!("the rapidfuzz baseline failed (pip install -r tools/bench/requirements.txt)");
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// How many of the true negatives (synthetic people on no list, from yente's quality
/// fixtures) get a hit at the default threshold: by name alone, and with the date of birth
/// and nationality they carry.
#[derive(Debug, Serialize)]
struct FalsePositives {
    subjects: usize,
    name_only: usize,
    corroborated: usize,
}

fn false_positives(s: &Screener, a: &Args) -> Result<FalsePositives> {
    let mut out = FalsePositives {
        subjects: 0,
        name_only: 0,
        corroborated: 0,
    };
    for f in ["negatives_global.csv", "negatives_us.csv"] {
        let path = peer(a, &format!("yente/contrib/validation_report/fixtures/{f}"));
        let mut r = csv::Reader::from_path(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let headers = r.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(n), Some(d), Some(c)) =
            (col("full_name"), col("date_of_birth"), col("nationality"))
        else {
            bail!(
                "{}: no full_name, date_of_birth and nationality columns",
                path.display()
            );
        };
        for rec in r.records() {
            let rec = rec?;
            let name = rec.get(n).unwrap_or_default().to_owned();
            if name.trim().is_empty() {
                continue;
            }
            out.subjects += 1;
            let mut q = Query {
                name,
                name_type: custos_screen::names::NameType::Person,
                ..Default::default()
            };
            if !s.screen(&q, None).is_empty() {
                out.name_only += 1;
            }
            q.birth_date = rec.get(d).filter(|v| !v.is_empty()).map(str::to_owned);
            q.country = rec.get(c).and_then(custos_screen::model::country_code);
            if !s.screen(&q, None).is_empty() {
                out.corroborated += 1;
            }
        }
    }
    Ok(out)
}

fn peer(a: &Args, rel: &str) -> PathBuf {
    a.peer_data.join(rel)
}

pub fn run(a: Args) -> Result<()> {
    let sdn_path = peer(&a, "watchman/test/testdata/sdn.csv");
    let un_path = peer(&a, "watchman/test/testdata/UN_consolidated.xml");
    let sdn = import(Format::OfacCsv, &sdn_path)?;
    let un = import(Format::UnXml, &un_path)?;
    let real: Vec<ListEntity> = sdn.into_iter().chain(un).collect();
    let fp = false_positives(
        &Screener::build(real.iter().map(|e| ("real".to_owned(), e.clone()))),
        &a,
    )?;
    // Names the corpora do not hold: a synthetic list from another seed, more misspelt.
    let outsiders = synthesize(&real, 10_000, a.seed ^ 0xdead_beef, 0.5);
    let mut figures = vec![measure("OFAC SDN + UN", real.clone(), &outsiders, &a)?];
    if a.names > 0 {
        eprintln!("synthesizing {} names...", a.names);
        let synthetic = synthesize(&real, a.names, a.seed, 0.1);
        drop(real);
        figures.push(measure(
            &format!("synthetic {}", a.names),
            synthetic,
            &outsiders,
            &a,
        )?);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"corpora": figures, "false_positives": fp})
            )?
        );
        return Ok(());
    }
    println!(
        "{:<22} {:>9} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "corpus",
        "names",
        "vocab",
        "build s",
        "index MiB",
        "RSS MiB",
        "q/s",
        "p50 us",
        "p99 us",
        "top10"
    );
    for f in &figures {
        println!(
            "{:<22} {:>9} {:>8} {:>8.2} {:>9.0} {:>9.0} {:>8.0} {:>8.0} {:>8.0} {:>6.1}%",
            f.corpus,
            f.names,
            f.vocabulary,
            f.build_s,
            f.index_rss_mib,
            f.total_rss_mib,
            f.qps,
            f.p50_us,
            f.p99_us,
            f.source_in_top10 * 100.0
        );
        println!(
            "{:<22} index heap estimate: tables {:.0} MiB, postings {:.0} MiB, names {:.0} MiB; max {:.0} us",
            "", f.index_heap_mib[0], f.index_heap_mib[1], f.index_heap_mib[2], f.max_us
        );
        let st = f.stages_us;
        println!(
            "{:<22} mean us per query: normalize {:.0}, expand {:.0}, gather {:.0}, estimate {:.0}, score {:.0}; names gathered: mean {:.0}, p50 {:.0}, p99 {:.0}",
            "", st[0], st[1], st[2], st[3], st[4], f.gathered[0], f.gathered[1], f.gathered[2]
        );
        if let Some(b) = &f.baseline {
            println!(
                "{:<22} baseline {} on {} of the queries: {:.1} q/s, p50 {:.0} us, p99 {:.0} us; custos p50 {:.0} us on the same: {:.0}x faster",
                "", b.tool, b.queries, b.qps, b.p50_us, b.p99_us, b.custos_p50_us, b.ratio_p50
            );
        }
    }
    let pct = |n: usize| n as f64 * 100.0 / fp.subjects.max(1) as f64;
    println!(
        "false positives on {} people on no list (yente negatives), OFAC SDN + UN, threshold {}: \
         {} ({:.1}%) by name alone, {} ({:.1}%) with date of birth and nationality",
        fp.subjects,
        custos_screen::screen::DEFAULT_THRESHOLD,
        fp.name_only,
        pct(fp.name_only),
        fp.corroborated,
        pct(fp.corroborated)
    );
    Ok(())
}
