//! How many pairs of a file of `original<TAB>latin` lines screening's name comparison matches
//! at the default threshold, and the pairs it misses (the first `N`, default 20): to measure a
//! romaniser on the whole of a source (`tools/eval/source_pairs.py`), not the evaluation set's
//! sample of it.
//!
//!     cargo run --release -p custos-screen --example pairs_rate FILE [N]

use custos_screen::names::{NameType, compare, normalize_all};
use custos_screen::screen::DEFAULT_THRESHOLD;
use std::io::BufRead;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: pairs_rate FILE [N]");
        std::process::exit(2);
    };
    let show: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let (mut n, mut matched) = (0usize, 0usize);
    let mut missed = vec![];
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let line = line?;
        let Some((original, latin)) = line.split_once('\t') else {
            continue;
        };
        let score = compare(original, latin, NameType::Person);
        n += 1;
        if score >= DEFAULT_THRESHOLD {
            matched += 1;
        } else if missed.len() < show {
            missed.push((score, original.to_owned(), latin.to_owned()));
        }
    }
    println!(
        "{matched} of {n} matched ({:.1}%)",
        100.0 * matched as f64 / n.max(1) as f64
    );
    for (score, original, latin) in missed {
        let forms: Vec<String> = normalize_all(&original, NameType::Person)
            .iter()
            .map(|f| f.tokens.join(" "))
            .collect();
        println!("{score:.3}\t{original}\t{latin}\t{forms:?}");
    }
    Ok(())
}
