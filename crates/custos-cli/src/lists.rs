//! `custos lists`: import list files as versions, list them, show what changed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use custos_app::lists::Published;
use custos_core::screening::ListMeasure;
use custos_screen::ListVersion;
use custos_screen::import::{Format, import};

use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum ListsCmd {
    /// Import a list file as the list's new current version. A file that does not parse whole
    /// changes nothing: the current version stays.
    Import {
        /// ofac-csv (FILE is sdn.csv or cons_prim.csv; companions beside it), ofac-xml
        /// (sdn.xml, consolidated.xml), ofac-advanced-xml (sdn_advanced.xml, cons_advanced.xml),
        /// un-xml, bis-dpl, csl-csv, ftm-json, custos-toml.
        #[arg(long)]
        format: String,
        file: PathBuf,
        /// The list's name (default: from the format and file, e.g. ofac-sdn, un, csl; for
        /// ftm-json the file's name, `entities` for `entities.ftm.json`).
        #[arg(long)]
        name: Option<String>,
        /// Without --name: the file is a new version of the list its default name names, even
        /// though it comes from another file and shares few entries with the current version
        /// (such an import is otherwise refused, as one list replacing another).
        #[arg(long)]
        new_version: bool,
        /// What the list's hits ask: prohibition (a confirmed hit refuses and closes
        /// accounts), review (a hit holds the accounts until a reviewer decides, and decides
        /// nothing itself) or informational (a case for the reviewers; holds nothing).
        /// Default: prohibition for ofac-* and un-xml, review for bis-dpl, csl-csv and
        /// ftm-json. A custos-toml file's designations carry their own.
        #[arg(long)]
        measure: Option<String>,
        /// Accept a version with under 90% of the current version's entries (by default such a
        /// drop is taken for a broken download and refused).
        #[arg(long)]
        allow_shrink: bool,
        /// Do not screen the stored customers again after the import (when importing several
        /// lists in a row; run `custos lists rescreen` after the last).
        #[arg(long)]
        no_rescreen: bool,
    },
    /// Screen every stored customer again against the current lists, and report the hits
    /// that are new and those that are gone.
    Rescreen {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The lists and their versions.
    Ls {
        /// Only this list.
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// What a version changed (default: the current version of the list).
    Diff {
        name: String,
        /// The version's number in its list, as `lists ls` shows it.
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

/// The name a list gets when none is given.
fn default_name(format: Format, file: &Path) -> String {
    let stem = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("list")
        .to_lowercase();
    match format {
        Format::OfacCsv | Format::OfacXml | Format::OfacAdvancedXml if stem.starts_with("cons") => {
            "ofac-consolidated".into()
        }
        Format::OfacCsv | Format::OfacXml | Format::OfacAdvancedXml => "ofac-sdn".into(),
        Format::UnXml => "un".into(),
        Format::BisDpl => "bis-dpl".into(),
        Format::CslCsv => "csl".into(),
        Format::FtmJson => stem
            .trim_end_matches(".json")
            .trim_end_matches(".ftm")
            .to_owned(),
        // Designations are kept in one list, wherever they come from.
        Format::CustosToml => custos_app::designations::API_LIST.into(),
    }
}

pub async fn run(app: &App, cmd: ListsCmd) -> Result<()> {
    match cmd {
        ListsCmd::Import {
            format,
            file,
            name,
            new_version,
            measure,
            allow_shrink,
            no_rescreen,
        } => {
            let format = Format::parse(&format).map_err(anyhow::Error::msg)?;
            let measure = match (format.default_measure(), measure) {
                (None, Some(_)) => bail!(
                    "a {} file's designations each carry its own measure (prohibition or \
                     conditions): import it without --measure",
                    format.name()
                ),
                // Unused: each designation says what it asks.
                (None, None) => ListMeasure::default(),
                (Some(default), m) => m
                    .map(|m| ListMeasure::parse(&m))
                    .transpose()
                    .map_err(anyhow::Error::msg)?
                    .unwrap_or(default),
            };
            let named = name.is_some();
            let name = name.unwrap_or_else(|| default_name(format, &file));
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("reading {}", file.display()));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let entities = import(format, &file);
            bar.finish_and_clear();
            let entities = entities
                .with_context(|| format!("{name} was not imported; its current version stays"))?;
            let source = std::fs::canonicalize(&file)
                .unwrap_or(file.clone())
                .display()
                .to_string();
            let p = custos_app::lists::Publication {
                list: name.clone(),
                format: format.name().into(),
                source,
                measure,
                allow_shrink,
                // A default name is a guess from the format and the file's name (two
                // OpenSanctions exports are both `entities.ftm.json`).
                name_guessed: !named && !new_version,
                based_on: None,
            };
            let published = app
                .service
                .publish_entities(entities, p)
                .await
                .with_context(|| format!("{name} was not stored; its current version stays"))?;
            match published {
                Published::Unchanged {
                    version,
                    entries,
                    content_hash,
                } => {
                    println!(
                        "{name}: unchanged since version {version} ({entries} entries, {content_hash})"
                    );
                    return Ok(());
                }
                Published::Shrinks { entries, current } => bail!(
                    "{name} was not imported: it has {entries} entries where the current version \
                     has {current}; if that is right, import again with --allow-shrink"
                ),
                Published::OtherList {
                    version,
                    format,
                    source,
                    entries,
                    shared,
                } => bail!(
                    "{name} was not imported: {name} is only the name this file gets by \
                     default, and its current version (version {version}, {format} from \
                     {source}) shares {shared} of its {entries} entries with this file, so this \
                     would replace one list with another. Give this list its own name with \
                     --name NAME; or, if it is a new version of {name}, say so with --new-version"
                ),
                Published::Saved {
                    version,
                    list: v,
                    diff: d,
                } => println!(
                    "{name}: version {version} with {} entries ({}), {}: {} added, {} changed, {} removed",
                    v.entries,
                    v.content_hash,
                    measure_name(&v),
                    d.added.len(),
                    d.changed.len(),
                    d.removed.len()
                ),
            }
            if no_rescreen {
                return Ok(());
            }
            rescreen(app, false).await
        }
        ListsCmd::Rescreen { json } => rescreen(app, json).await,
        ListsCmd::Ls { name, json } => {
            let versions = app.service.list_versions(name.as_deref()).await?;
            if let Some(n) = &name
                && versions.is_empty()
            {
                bail!("no list is named {n}; `custos lists ls` shows every list");
            }
            if json {
                let all: Vec<serde_json::Value> = versions
                    .iter()
                    .map(|v| {
                        serde_json::json!({"list": v.version.list, "version": v.number,
                            "current": v.current, "retrieved_at": v.version.retrieved_at,
                            "entries": v.version.entries, "format": v.version.format,
                            "measure": measure_name(&v.version),
                            "content_hash": v.version.content_hash, "source": v.version.source,
                            "added": v.diff.added.len(), "changed": v.diff.changed.len(),
                            "removed": v.diff.removed.len()})
                    })
                    .collect();
                return crate::out::print_json(&all);
            }
            let mut t = crate::out::Table::new(&[
                "LIST",
                "VERSION",
                "CURRENT",
                "RETRIEVED",
                "ENTRIES",
                "FORMAT",
                "MEASURE",
                "HASH",
                "SOURCE",
            ]);
            for v in versions {
                let measure = measure_name(&v.version).to_owned();
                t.row(vec![
                    v.version.list,
                    v.number.to_string(),
                    if v.current { "yes" } else { "" }.to_owned(),
                    crate::out::time_text(v.version.retrieved_at),
                    v.version.entries.to_string(),
                    v.version.format.clone(),
                    measure,
                    v.version.content_hash.chars().take(16).collect(),
                    v.version.source,
                ]);
            }
            t.print("no list imported yet")?;
            Ok(())
        }
        ListsCmd::Diff {
            name,
            version,
            json,
        } => {
            let versions = app.service.list_versions(Some(&name)).await?;
            if versions.is_empty() {
                bail!("no list is named {name}; `custos lists ls` shows every list");
            }
            let v = match version {
                Some(n) => versions.iter().find(|v| v.number == n),
                None => versions.iter().find(|v| v.current),
            };
            let Some(v) = v else {
                bail!("no such version of {name}; see `custos lists ls {name}`");
            };
            if json {
                return crate::out::print_json(&serde_json::json!({"list": name,
                    "version": v.number, "added": v.diff.added, "changed": v.diff.changed,
                    "removed": v.diff.removed}));
            }
            println!(
                "{name} version {}: {} added, {} changed, {} removed",
                v.number,
                v.diff.added.len(),
                v.diff.changed.len(),
                v.diff.removed.len()
            );
            for (sign, ids) in [
                ("+", &v.diff.added),
                ("~", &v.diff.changed),
                ("-", &v.diff.removed),
            ] {
                for id in ids {
                    println!("{sign} {id}");
                }
            }
            Ok(())
        }
    }
}

/// What a version's hits ask, as `lists` prints it: designations (a custos-toml file, or those
/// entered through the API) each carry their own.
fn measure_name(v: &ListVersion) -> &'static str {
    if matches!(v.format.as_str(), "custos-toml" | "custos-api") {
        "per-designation"
    } else {
        v.measure.as_str()
    }
}

/// Screens every stored customer again, with a progress bar, and prints what changed.
async fn rescreen(app: &App, json: bool) -> Result<()> {
    let actor = crate::cli_actor();
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} screening customers: {pos} ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let report = app
        .service
        .rescreen_all(&actor, |n| bar.set_position(n))
        .await;
    bar.finish_and_clear();
    let report = report.context("re-screening failed")?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "re-screened {} customers against {}: {} new hits, {} resolved",
        report.screened,
        report
            .lists
            .iter()
            .map(|l| format!("{} version {}", l.list, l.version))
            .collect::<Vec<_>>()
            .join(", "),
        report.new.len(),
        report.resolved.len()
    );
    for (sign, changes) in [("+", &report.new), ("-", &report.resolved)] {
        for c in changes {
            let state = serde_json::to_value(c.change.state)?;
            println!(
                "{sign} {} {} {}/{} ({})",
                c.customer_id,
                c.change.case_id,
                c.change.list,
                c.change.entity_id,
                state.as_str().unwrap_or_default()
            );
        }
    }
    Ok(())
}

#[derive(Debug)]
pub struct ScreenArgs {
    pub name: Option<String>,
    pub name_type: Option<String>,
    pub dob: Option<String>,
    pub country: Option<String>,
    pub ids: Vec<String>,
    pub limit: Option<usize>,
    pub json: bool,
    pub batch: bool,
}

fn query(
    name: &str,
    t: Option<&str>,
    dob: Option<String>,
    country: Option<String>,
    ids: &[String],
) -> Result<custos_screen::screen::Query> {
    // What a subject holds is personal data: the messages name the field, not the value.
    let identifiers = ids
        .iter()
        .enumerate()
        .map(|(n, i)| {
            i.split_once(':')
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .with_context(|| format!("identifier {} is not KIND:VALUE", n + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    use custos_screen::names::NameType;
    if name.trim().is_empty() {
        bail!("the name is empty");
    }
    let country = country
        .map(|c| {
            custos_ids::country::lookup(&c)
                .map(|c| c.alpha2.to_owned())
                .context("the country is not an ISO 3166-1 country")
        })
        .transpose()?;
    if let Some(d) = &dob {
        let ok = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
            || (d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            bail!("the date of birth is not a YYYY or YYYY-MM-DD date");
        }
    }
    Ok(custos_screen::screen::Query {
        name: name.to_owned(),
        name_type: t
            .map_or(Ok(NameType::Any), NameType::parse)
            .map_err(anyhow::Error::msg)?,
        birth_date: dob,
        country,
        identifiers,
        address: None,
    })
}

pub async fn screen(app: &App, a: ScreenArgs) -> Result<()> {
    let Some((s, covered)) = app.service.screener().await? else {
        bail!("no list imported yet: see `custos lists import`");
    };
    if a.batch {
        if a.name.is_some() {
            bail!("give --name or --batch, not both");
        }
        return crate::batch::run(|n, line| {
            let answer = || -> Result<String> {
                let v: serde_json::Value =
                    serde_json::from_str(line).context("not a JSON object")?;
                // A misspelt field would be screened without (as the API refuses it, so here).
                const FIELDS: &[&str] = &["name", "type", "date_of_birth", "dob", "country", "ids"];
                let obj = v.as_object().context("not a JSON object")?;
                if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
                    bail!(
                        "unknown field `{}`; the fields are name, type, date_of_birth, country, ids",
                        k.chars().take(40).collect::<String>()
                    );
                }
                let name = v["name"].as_str().context("no `name`")?;
                let ids: Vec<String> = v["ids"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let q = query(
                    name,
                    v["type"].as_str(),
                    // `dob` was its name before; accepted until the next release.
                    v["date_of_birth"]
                        .as_str()
                        .or(v["dob"].as_str())
                        .map(str::to_owned),
                    v["country"].as_str().map(str::to_owned),
                    &ids,
                )?;
                let hits = s.screen(&q, a.limit);
                Ok(serde_json::json!({ "hits": hits }).to_string())
            };
            answer().map_err(|e| crate::batch::error_line(n, &e))
        });
    }
    let name = a.name.context("give --name, or --batch")?;
    let q = query(&name, a.name_type.as_deref(), a.dob, a.country, &a.ids)?;
    let hits = s.screen(&q, a.limit);
    if a.json {
        // As the API answers it: the hits, the list versions, the threshold.
        let lists = app.service.numbered(&covered).await?;
        println!(
            "{}",
            serde_json::json!({ "hits": hits, "lists": lists,
                "threshold": custos_screen::screen::DEFAULT_THRESHOLD })
        );
    } else if hits.is_empty() {
        println!(
            "no hit at or above {}",
            custos_screen::screen::DEFAULT_THRESHOLD
        );
    } else {
        let mut t = crate::out::Table::new(&["SCORE", "LIST", "ENTRY", "NAME", "MATCHED"]);
        for h in hits {
            t.row(vec![
                format!("{:.3}", h.score),
                h.list,
                h.entity_id,
                h.name,
                h.matched_name,
            ]);
        }
        t.print("")?;
    }
    Ok(())
}
