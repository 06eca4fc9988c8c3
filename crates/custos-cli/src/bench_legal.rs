//! `custos bench legal`: the records package of one account with many events among many more
//! in the ledger, written (`custos legal package`) and verified (`custos legal
//! verify-package`), beside Python's `bagit` validation and the independent verifier of the
//! tests on the same package.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Duration;
use clap::Args as ClapArgs;
use custos_app::keys::{Caller, Role};
use custos_app::legal::{RequestInput, ScopeInput};
use custos_app::service::NewAccount;
use custos_core::legal::Instrument;
use custos_core::{AccountId, AccountKind, CustomerProfile, Offering};
use custos_ledger::Event;

use crate::bench_ledger::{Traffic, start_time};

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Events in the ledger.
    #[arg(long, default_value_t = 100_000_000)]
    pub events: u64,
    /// Of them, the events of the account the package is for.
    #[arg(long, default_value_t = 1_000_000)]
    pub account_events: u64,
    /// Where the installation is made (default: a temporary directory). A ledger left there
    /// by an earlier run of the same size is used again.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Skip the Python baseline.
    #[arg(long)]
    pub no_python: bool,
    #[arg(long, env = "CUSTOS_PYTHON", default_value = "python3")]
    pub python: String,
}

const TARGET: &str = "acc_bench_target";

/// Where a benchmark's installation is made: `dir`, or a temporary directory (removed when
/// the first value is dropped); its configuration.
pub(crate) fn installation(
    dir: Option<&std::path::Path>,
) -> Result<(tempfile::TempDir, std::path::PathBuf, crate::config::Config)> {
    let tmp = tempfile::tempdir()?;
    let root = dir.map_or_else(|| tmp.path().to_owned(), std::path::Path::to_owned);
    std::fs::create_dir_all(&root)?;
    let config = crate::config::Config {
        data_dir: root.clone(),
        ..Default::default()
    };
    Ok((tmp, root, config))
}

pub async fn run(a: Args) -> Result<()> {
    let (_tmp, root, config) = installation(a.dir.as_deref())?;
    // The ledger: kept from an earlier run of the same size, or made.
    let reuse = {
        let l = crate::app::open_ledger(&config)?;
        l.access.size() == a.events
    };
    if !reuse {
        let _ = std::fs::remove_dir_all(config.ledger_dir());
        let l = crate::app::open_ledger(&config)?;
        let every = (a.events / a.account_events.max(1)).max(1);
        let mut t = Traffic::new(100_000, a.events, 20705);
        let bar = indicatif::ProgressBar::new(a.events);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} making the ledger {bar:30} {pos}/{len} ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut i = 0u64;
        let mut target = 0u64;
        while i < a.events {
            let n = 10_000.min(a.events - i);
            let batch: Vec<Event> = (0..n)
                .map(|k| {
                    let mut e = t.next_event();
                    if (i + k).is_multiple_of(every) && target < a.account_events {
                        e.account_id = TARGET.into();
                        e.ip = Traffic::home_ip(7, (i + k) % 3);
                        target += 1;
                    }
                    e
                })
                .collect();
            l.access.append(&batch)?;
            i += n;
            bar.inc(n);
        }
        l.access.wait_indexed()?;
        bar.finish_and_clear();
    }
    // A fresh store beside the ledger (its keyring with it).
    for f in std::fs::read_dir(&root)? {
        let f = f?;
        let name = f.file_name().to_string_lossy().into_owned();
        if name.starts_with("custos.db") || name.starts_with("keyring") {
            std::fs::remove_file(f.path())?;
        }
    }
    let app = crate::app::App::open(config.clone(), true).await?;
    let svc = &app.service;
    if let Some(l) = svc.ledger() {
        let l = l.clone();
        tokio::task::spawn_blocking(move || l.access.wait_indexed()).await??;
    }
    let profile: CustomerProfile = serde_json::from_value(serde_json::json!({"individual": {
        "full_name": "Lena Fischer", "date_of_birth": "1990-04-01", "citizenships": ["DE"],
        "residence": {"line1": "Unter den Linden 5", "city": "Berlin", "country": "DE"}}}))?;
    let c = svc.create_customer(profile, vec![], None).await?;
    svc.open_account_with_id(
        AccountId::parse(TARGET)?,
        NewAccount {
            customer_id: c.id.clone(),
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            parent_id: None,
        },
    )
    .await?;
    let officer = Caller {
        key_id: "bench:officer".into(),
        role: Role::ComplianceOfficer,
        scope: None,
    };
    let second = Caller {
        key_id: "bench:second".into(),
        role: Role::ComplianceOfficer,
        scope: None,
    };
    let r = svc
        .add_legal_request(
            &officer,
            RequestInput {
                agency: "FBI Cyber Division".into(),
                case_number: "BENCH-1".into(),
                instrument: Instrument::Warrant,
                court: Some("U.S. District Court for the District of Columbia".into()),
                served_at: svc.now() - Duration::days(1),
                served_how: None,
                due: None,
                ndo_expires: None,
                officer: None,
                contact_verified: None,
                justification: None,
                scope: ScopeInput {
                    accounts: vec![TARGET.into()],
                    from: Some(start_time() - Duration::days(1)),
                    to: Some(start_time() + Duration::days(31)),
                    ..Default::default()
                },
            },
        )
        .await?;
    svc.approve_legal(&second, &r.request.id).await?;
    // The query alone (the account's events through the index), for the figures.
    let query_s = {
        let l = svc.ledger().context("the ledger")?.clone();
        let s = Instant::now();
        let n = tokio::task::spawn_blocking(move || {
            custos_ledger::query::account_events(
                &l.access,
                TARGET,
                chrono::DateTime::<chrono::Utc>::MIN_UTC,
                chrono::DateTime::<chrono::Utc>::MAX_UTC,
                usize::MAX,
            )
            .map(|(v, _)| v.len())
        })
        .await??;
        anyhow::ensure!(n as u64 == a.account_events.min(a.events));
        s.elapsed().as_secs_f64()
    };
    // The reading alone (the events of the account and their proofs), for the figures.
    let gather_s = {
        let l = svc.ledger().context("the ledger")?.clone();
        let s = Instant::now();
        let part = tokio::task::spawn_blocking(move || {
            custos_app::legal::package::gather_events(
                &l,
                &[TARGET.to_owned()],
                chrono::DateTime::<chrono::Utc>::MIN_UTC,
                chrono::DateTime::<chrono::Utc>::MAX_UTC,
                &[],
            )
            .map_err(custos_app::Error::from)
            .and_then(|part| {
                // The proofs and their files, made as a package makes them (and dropped).
                let mut n = 0u64;
                part.render(|r| {
                    n += r.proofs.len() as u64;
                    Ok(())
                })?;
                Ok(n)
            })
        })
        .await??;
        anyhow::ensure!(part == a.account_events.min(a.events));
        s.elapsed().as_secs_f64()
    };
    // A zip, as a package goes to an agency; under a name of its own, so that no mass of
    // files deleted just before slows the file system's allocation down.
    let out = root.join(format!("package-{}.zip", std::process::id()));
    let s = Instant::now();
    let p = svc
        .produce_legal(
            &officer,
            &r.request.id,
            &out,
            None,
            std::sync::Arc::new(|_| {}),
        )
        .await?;
    let write_s = s.elapsed().as_secs_f64();
    let s = Instant::now();
    let v = tokio::task::spawn_blocking({
        let out = out.clone();
        move || custos_app::legal::verify::verify_package(&out)
    })
    .await??;
    let verify_s = s.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&out)?.len();
    let python = if a.no_python {
        None
    } else {
        let s = Instant::now();
        let verifier = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/legal/verify_package.py");
        // The Python verifier reads a directory: the zip is unpacked first (timed with it).
        let unpacked = root.join(format!("unpacked-{}", std::process::id()));
        let o = std::process::Command::new(&a.python)
            .arg("-c")
            .arg("import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])")
            .arg(&out)
            .arg(&unpacked)
            .output()
            .with_context(|| format!("cannot run {}", a.python))?;
        anyhow::ensure!(
            o.status.success(),
            "unzip: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bag = std::fs::read_dir(&unpacked)?
            .next()
            .context("an empty zip")??
            .path();
        let o = std::process::Command::new(&a.python)
            .arg(verifier)
            .arg(&bag)
            .output()
            .with_context(|| format!("cannot run {}", a.python))?;
        let _ = std::fs::remove_dir_all(&unpacked);
        anyhow::ensure!(
            o.status.success(),
            "the independent verifier: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        Some(s.elapsed().as_secs_f64())
    };
    let _ = std::fs::remove_file(&out);
    let figures = serde_json::json!({
        "ledger_events": a.events,
        "package_events": p.events,
        "package_files": v.files,
        "package_bytes": bytes,
        "write_s": write_s,
        "of_which_reading_events_and_proofs_s": gather_s,
        "of_which_the_query_s": query_s,
        "verify_s": verify_s,
        "write_and_verify_s": write_s + verify_s,
        "python_bagit_and_independent_verifier_s": python,
        "ledger_reused": reuse,
    });
    println!("{}", serde_json::to_string_pretty(&figures)?);
    println!(
        "{} events of one account among {}: package written in {write_s:.1} s, verified in \
         {verify_s:.1} s ({:.1} s together; goal under 60 s){}",
        p.events,
        a.events,
        write_s + verify_s,
        python
            .map(|py| format!(
                "; Python's bagit and the independent verifier on the same package: {py:.1} s"
            ))
            .unwrap_or_default()
    );
    Ok(())
}
