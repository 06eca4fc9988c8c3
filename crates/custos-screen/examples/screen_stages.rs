//! Where a screening query's time goes, stage by stage, on the real lists and a synthetic list
//! built from them: the quick loop for working on the index, without the whole CLI.
//!
//! ```sh
//! cargo run --release -p custos-screen --example screen_stages -- ../shared/peer-data 1000000 2000
//! ```
//!
//! `MEDIAN=1` prints each query's stages; `ARABIC=1` screens only the queries in the Arabic
//! script, `ARABIC=0` only the others.

use std::time::Instant;

/// The allocator the `custos` binary uses, so that the stages are timed as it runs them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use custos_screen::import::{Format, import};
use custos_screen::screen::{Query, Screener, Stages};
use custos_screen::synth::{queries, synthesize};
use custos_screen::{ListEntity, names::NameType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let peer = args.next().unwrap_or_else(|| "../shared/peer-data".into());
    let names: usize = args.next().map_or(Ok(1_000_000), |v| v.parse())?;
    let n_queries: usize = args.next().map_or(Ok(2_000), |v| v.parse())?;
    let seed = 13984u64;
    let sdn = import(
        Format::OfacCsv,
        format!("{peer}/watchman/test/testdata/sdn.csv").as_ref(),
    )?;
    let un = import(
        Format::UnXml,
        format!("{peer}/watchman/test/testdata/UN_consolidated.xml").as_ref(),
    )?;
    let real: Vec<ListEntity> = sdn.into_iter().chain(un).collect();
    let outsiders = synthesize(&real, 10_000, seed ^ 0xdead_beef, 0.5);
    let corpus = if names == 0 {
        real
    } else {
        synthesize(&real, names, seed, 0.1)
    };
    let mut qs = queries(&corpus, &outsiders, n_queries, seed ^ 0x5eed);
    // `ARABIC=1` keeps the queries in the Arabic script only (the slowest), `ARABIC=0` the rest.
    if let Some(only) = std::env::var_os("ARABIC") {
        let arabic = only == "1";
        qs.retain(|(q, _)| q.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)) == arabic);
    }
    let t = Instant::now();
    let s = Screener::build(corpus.into_iter().map(|e| ("list".to_owned(), e)));
    eprintln!("built in {:.2} s", t.elapsed().as_secs_f64());
    let mut total = Stages::default();
    let mut lat = vec![];
    let mut gathered = vec![];
    let (mut from_list, mut in_top10) = (0usize, 0usize);
    for (q, source) in &qs {
        let mut st = Stages::default();
        let t = Instant::now();
        let hits = s.screen_timed(
            &Query {
                name: q.clone(),
                name_type: NameType::Any,
                ..Default::default()
            },
            Some(10),
            &mut st,
        );
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        if let Some(id) = source {
            from_list += 1;
            in_top10 += usize::from(hits.iter().any(|h| &h.entity_id == id));
        }
        if std::env::var_os("MEDIAN").is_some() {
            eprintln!(
                "Q {:.0} {:.0} {:.0} {:.0} {:.0} {} {q}",
                t.elapsed().as_secs_f64() * 1e6,
                st.expand.as_secs_f64() * 1e6,
                st.gather.as_secs_f64() * 1e6,
                st.estimate.as_secs_f64() * 1e6,
                st.score.as_secs_f64() * 1e6,
                st.gathered
            );
        }
        gathered.push(st.gathered);
        total.normalize += st.normalize;
        total.expand += st.expand;
        total.gather += st.gather;
        total.estimate += st.estimate;
        total.score += st.score;
    }
    lat.sort_by(f64::total_cmp);
    gathered.sort_unstable();
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p) as usize];
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / qs.len() as f64;
    println!(
        "p50 {:.0} us, p99 {:.0} us; mean per query: normalize {:.0}, expand {:.0}, gather {:.0}, \
         estimate {:.0}, score {:.0} us; gathered p50 {}, p99 {}, mean {:.0}; top10 {:.1}%",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        per(total.normalize),
        per(total.expand),
        per(total.gather),
        per(total.estimate),
        per(total.score),
        gathered[gathered.len() / 2],
        gathered[gathered.len() * 99 / 100],
        gathered.iter().sum::<usize>() as f64 / gathered.len() as f64,
        in_top10 as f64 * 100.0 / from_list.max(1) as f64
    );
    Ok(())
}
