//! `custos reference`: the reference lists detection reads (IP ranges with labels, disposable
//! email domains, BIN ranges), imported whole as versions, listed, and asked.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use custos_app::reference::{ImportResult, Imported, ReferenceVersion};
use custos_screen::reference::RefKind;

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, print_json, time_text};

#[derive(Subcommand, Debug)]
pub enum ReferenceCmd {
    /// Import a file whole as the kind's version in use. `ip-ranges`: CSV with a header
    /// naming `network` (or `start` and `end`), `kind` (tor, vpn, proxy, hosting, cdn, bot,
    /// residential, mobile) and optionally `provider`, or a JSON array of such objects.
    /// `disposable-domains`: a domain a line, `#` comments. `bin-ranges`: CSV with `bin` (or
    /// `from` and `to`), `brand`, `funding` (credit, debit, prepaid, charge, unknown) and
    /// `country`. A file with one bad line is refused, naming it: the version in use stays.
    Import {
        /// ip-ranges, disposable-domains or bin-ranges.
        kind: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The versions of every kind (or one), newest first.
    Ls {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// What the lists in use say of an IP address, an email domain or a card's first six to
    /// eight digits.
    Lookup {
        /// ip, domain or bin.
        what: String,
        value: String,
        #[arg(long)]
        json: bool,
    },
}

fn kind(s: &str) -> Result<RefKind> {
    RefKind::parse(s.trim()).with_context(|| {
        format!(
            "`{s}` is not a kind of reference list: one of {}",
            RefKind::ALL.map(RefKind::as_str).join(", ")
        )
    })
}

pub async fn run(app: &App, cmd: ReferenceCmd) -> Result<()> {
    let s = &app.service;
    match cmd {
        ReferenceCmd::Import {
            kind: k,
            file,
            json,
        } => {
            let k = kind(&k)?;
            // A file over the limit is refused before it is read into memory.
            let len = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let most = custos_app::reference::MAX_REFERENCE_BYTES as u64;
            if len > most {
                bail!(
                    "{} holds {len} bytes: a reference list holds at most {most}",
                    file.display()
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let source = std::fs::canonicalize(&file)
                .unwrap_or(file.clone())
                .display()
                .to_string();
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("reading {}", file.display()));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let got = s.import_reference(&cli_actor(), k, &source, bytes).await;
            bar.finish_and_clear();
            let got = got?;
            if json {
                return print_json(&ImportResult::from(&got));
            }
            match got {
                Imported::Saved(v) => println!(
                    "{} version {}: {} entries, now in use (sha256 {})",
                    v.kind, v.number, v.entries, v.content_hash
                ),
                Imported::Unchanged(v) => println!(
                    "{} unchanged: the same data as version {} in use ({} entries); nothing \
                     written",
                    v.kind, v.number, v.entries
                ),
            }
            Ok(())
        }
        ReferenceCmd::Ls { kind: k, json } => {
            let k = k.as_deref().map(kind).transpose()?;
            let all = s.references(k).await?;
            if json {
                let all: Vec<ReferenceVersion> = all.iter().map(Into::into).collect();
                return print_json(&all);
            }
            let mut t = Table::new(&["kind", "version", "entries", "imported", "source"]);
            for v in &all {
                t.row(vec![
                    v.kind.clone(),
                    v.number.to_string(),
                    v.entries.to_string(),
                    time_text(v.retrieved_at),
                    v.source.clone(),
                ]);
            }
            t.print("no reference list imported: custos reference import KIND FILE")
        }
        ReferenceCmd::Lookup { what, value, json } => {
            let v = serde_json::to_value(s.reference_lookup(what.trim(), &value).await?)?;
            if json {
                return print_json(&v);
            }
            for (k, v) in v.as_object().into_iter().flatten() {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => "-".into(),
                    v => v.to_string(),
                };
                println!("{k}: {text}");
            }
            Ok(())
        }
    }
}
