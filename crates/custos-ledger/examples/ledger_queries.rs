//! Times the investigators' questions and proofs on an existing ledger directory (one that
//! `custos bench ledger --dir D` left in `D/inproc`), for profiling:
//! `cargo run --release -p custos-ledger --example ledger_queries -- D/inproc [ORIGIN]`.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use custos_ledger::Ledger;
use custos_ledger::index::Net;
use custos_ledger::query::{account_events, net_accounts};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("a ledger directory");
    let origin = args
        .next()
        .unwrap_or_else(|| "custos.bench/ledger".to_owned());
    let ledger = Ledger::open(std::path::Path::new(&dir), &origin).expect("the ledger");
    ledger.access.wait_indexed().expect("the index");
    let log = &ledger.access;
    let size = log.size();
    let start = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).unwrap_or_default();
    let p50 = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // The busiest accounts' days and a quiet one's, and their addresses over the month.
    if std::env::var("ZIPF").is_ok() {
        // Accounts drawn by activity (Zipf, s = 1.1, over 100,000), as the benchmark draws them.
        let mut cdf = vec![];
        let mut total = 0.0;
        for k in 1..=100_000u64 {
            total += 1.0 / (k as f64).powf(1.1);
            cdf.push(total);
        }
        let mut x = 99u64;
        let mut v = vec![];
        let rounds: usize = std::env::var("ZIPF")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        for round in 0..50 * rounds {
            if round % 50 == 0 {
                x = 99;
                v.clear();
            }
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64 * total;
            let acc = format!("acc_{:06}", cdf.partition_point(|&c| c < u));
            let from = start + Duration::days(((x >> 7) % 29) as i64);
            let s = Instant::now();
            let n = account_events(log, &acc, from, from + Duration::days(1), 100_000)
                .expect("a query")
                .0
                .len();
            v.push((s.elapsed().as_secs_f64() * 1e6, n, acc));
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (us, n, acc) in &v[20..30] {
            println!("{acc}: {n} events, {us:.0} us");
        }
        return;
    }
    if let Ok(acc) = std::env::var("ONLY_ACCOUNT") {
        let s = Instant::now();
        let mut n = 0;
        for d in 0..29 {
            let from = start + Duration::days(d);
            n += account_events(log, &acc, from, from + Duration::days(1), 1_000_000)
                .expect("a query")
                .0
                .len();
        }
        println!(
            "{acc}: {n} events in 29 days, {:.0} us a day",
            s.elapsed().as_secs_f64() * 1e6 / 29.0
        );
        return;
    }
    let mut day = vec![];
    let mut results = 0;
    for (i, acc) in [
        "acc_000000",
        "acc_000040",
        "acc_000100",
        "acc_001000",
        "acc_010000",
    ]
    .iter()
    .cycle()
    .take(50)
    .enumerate()
    {
        let from = start + Duration::days((i % 29) as i64);
        let s = Instant::now();
        let (found, _) =
            account_events(log, acc, from, from + Duration::days(1), 1_000_000).expect("a query");
        day.push(s.elapsed().as_secs_f64() * 1e6);
        results += found.len();
        if i < 5 {
            println!("{acc}: {} events in a day, {:.0} us", found.len(), day[i]);
        }
    }
    println!(
        "account's day p50 {:.0} us ({} results)",
        p50(day),
        results / 50
    );
    let mut month = vec![];
    for ip in [
        "203.0.113.9",
        "203.0.113.9",
        "203.0.113.9",
        "1.0.0.0/8",
        "2001:db8::/32",
    ] {
        let net = Net::parse(ip).expect("a network");
        let s = Instant::now();
        let uses = net_accounts(log, &net, start, start + Duration::days(30)).expect("a query");
        month.push(s.elapsed().as_secs_f64() * 1e6);
        println!(
            "{ip}: {} accounts, {:.0} us",
            uses.len(),
            month[month.len() - 1]
        );
    }
    let mut proofs = vec![];
    let mut x = 12345u64;
    for _ in 0..2000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (x >> 11) % size;
        let s = Instant::now();
        std::hint::black_box(log.inclusion_proof(i, size).expect("a proof"));
        proofs.push(s.elapsed().as_secs_f64() * 1e6);
    }
    println!("inclusion proof p50 {:.0} us", p50(proofs));
}
