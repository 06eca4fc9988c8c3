//! `custos sharing`: the TAXII collections peers read, an abuse case shared into one, and a
//! peer's collection pulled in (its indicators matched against the ledger).

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use custos_app::sharing::pull::Credentials;
use custos_app::sharing::stix::Tlp;
use custos_app::sharing::{NewCollection, ShareCase};

use crate::app::App;
use crate::out::{Table, print_json, time_text};

#[derive(Subcommand, Debug)]
pub enum SharingCmd {
    /// The collections, with who may read and write each.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Make a collection: the peer keys that may read it (`*`: every peer) and write to it.
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        /// A `peer` key's id, or `*` for every peer; repeat for several.
        #[arg(long = "reader")]
        readers: Vec<String>,
        /// A `peer` key's id; repeat for several.
        #[arg(long = "writer")]
        writers: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Share an abuse case (a report's) into a collection, as STIX 2.1.
    Share {
        case: String,
        #[arg(long)]
        collection: String,
        /// clear, green, amber (the default), amber_strict or red.
        #[arg(long, default_value = "amber")]
        tlp: String,
        /// With the addresses the account closed for abuse connected from (the customer's
        /// record: a second person approves first).
        #[arg(long)]
        addresses: bool,
        /// With the SSH keys the account closed for abuse used (the same: a second person
        /// approves first).
        #[arg(long)]
        ssh_keys: bool,
        /// Why (with --addresses or --ssh-keys).
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Keep a trust group's key under its id: the key the group gave (from an environment
    /// variable), or with `--new` a new one, printed once to give the other members.
    TrustKey {
        key_id: String,
        #[arg(long)]
        new: bool,
        /// The environment variable holding the key (base64, 32 bytes).
        #[arg(long, default_value = "CUSTOS_TRUST_KEY")]
        key_env: String,
    },
    /// Write the keyed set of the customers closed for abuse, under a trust group's key.
    ExportSet {
        #[arg(long)]
        key_id: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Take in a peer's keyed set: each customer with an identifier in it gets a
    /// `peer_signal` case.
    ImportSet {
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Ask a peer's OPRF whether it closed customers with these phones (or saw abuse from
    /// these addresses), without showing them: the values given, or every own customer's
    /// phone (each the peer holds opens a `peer_signal` case).
    OprfLookup {
        /// The peer's server, e.g. `https://peer.example/`.
        #[arg(long)]
        from: String,
        /// phone or ipv4.
        #[arg(long)]
        kind: String,
        #[arg(long = "value")]
        values: Vec<String>,
        #[arg(long, default_value = "custos")]
        user: String,
        #[arg(long, default_value = "CUSTOS_PEER_SECRET")]
        secret_env: String,
        #[arg(long)]
        json: bool,
    },
    /// The keyed sets taken in.
    Sets {
        #[arg(long)]
        json: bool,
    },
    /// Take in a peer's TAXII 2.1 collection (from where the last pull of it ended); its
    /// indicators of addresses the provider's accounts used open `peer_signal` cases.
    Pull {
        /// The peer's TAXII API root, e.g. `https://peer.example/taxii2/api1/`.
        #[arg(long)]
        from: String,
        #[arg(long)]
        collection: String,
        /// The user name HTTP Basic sends (a custos peer takes any, with its key as the
        /// password).
        #[arg(long, default_value = "custos")]
        user: String,
        /// The environment variable that holds the password or key (never a flag: it would
        /// be in the process list and the shell's history).
        #[arg(long, default_value = "CUSTOS_PEER_SECRET")]
        secret_env: String,
        #[arg(long)]
        json: bool,
    },
}

fn tlp(s: &str) -> Result<Tlp> {
    serde_json::from_value(serde_json::Value::String(s.trim().replace('+', "_"))).with_context(
        || format!("--tlp `{s}` is not one of clear, green, amber, amber_strict, red"),
    )
}

pub async fn run(app: &App, cmd: SharingCmd) -> Result<()> {
    let s = &app.service;
    let caller = crate::legal::caller();
    match cmd {
        SharingCmd::Ls { json } => {
            let all = s.collections().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["id", "title", "readers", "writers", "created"]);
            for c in &all {
                t.row(vec![
                    c.id.clone(),
                    c.title.clone(),
                    c.readers.join(" "),
                    c.writers.join(" "),
                    time_text(c.created_at),
                ]);
            }
            t.print("no collections")
        }
        SharingCmd::Add {
            title,
            description,
            readers,
            writers,
            json,
        } => {
            let c = s
                .create_collection(
                    &caller,
                    NewCollection {
                        title,
                        description,
                        readers,
                        writers,
                    },
                )
                .await?;
            if json {
                return print_json(&c);
            }
            println!(
                "collection {} ({}): /taxii2/api/collections/{}/",
                c.id, c.title, c.id
            );
            Ok(())
        }
        SharingCmd::Share {
            case,
            collection,
            tlp: level,
            addresses,
            ssh_keys,
            note,
            json,
        } => {
            let shared = s
                .share_abuse_case(
                    &caller,
                    &case,
                    ShareCase {
                        collection,
                        tlp: Some(tlp(&level)?),
                        include_access_addresses: addresses,
                        include_ssh_keys: ssh_keys,
                        note,
                    },
                )
                .await?;
            let shared = match shared {
                custos_app::approvals::Decided::Done(s) => s,
                custos_app::approvals::Decided::Waiting(a) => {
                    if json {
                        return print_json(&a);
                    }
                    println!(
                        "waits for a second person: approval {} ({}: the customer's record)",
                        a.id,
                        a.shares.as_deref().unwrap_or("the account's record")
                    );
                    return Ok(());
                }
            };
            if json {
                return print_json(&shared);
            }
            println!(
                "shared {case} into {}: {} object(s), {} new version(s)",
                shared.collection,
                shared.objects.len(),
                shared.added
            );
            for o in &shared.objects {
                println!("  {o}");
            }
            Ok(())
        }
        SharingCmd::TrustKey {
            key_id,
            new,
            key_env,
        } => {
            let given = if new {
                None
            } else {
                let k = std::env::var(&key_env).unwrap_or_default();
                if k.trim().is_empty() {
                    bail!("set ${key_env} to the trust group's key (base64), or pass --new");
                }
                Some(k)
            };
            let k = s.put_trust_key(&caller, &key_id, given.as_deref()).await?;
            match k.key {
                Some(key) => {
                    eprintln!(
                        "trust group key {}; give it to the other members, shown only now:",
                        k.key_id
                    );
                    println!("{key}");
                }
                None => println!("trust group key {} kept", k.key_id),
            }
            Ok(())
        }
        SharingCmd::ExportSet { key_id, out } => {
            let set = s.export_keyed_set(&caller, &key_id).await?;
            let body = serde_json::to_vec_pretty(&set)?;
            std::fs::write(&out, body)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote {} entries under {} to {}",
                set.entries.len(),
                set.key_id,
                out.display()
            );
            Ok(())
        }
        SharingCmd::ImportSet { file, json } => {
            let len = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            if len > 80 * 1024 * 1024 {
                bail!(
                    "{} holds {len} bytes: a keyed set is at most 80 MiB",
                    file.display()
                );
            }
            let text =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let set: custos_app::sharing::keyed::KeyedSet = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a keyed set", file.display()))?;
            let r = s.import_keyed_set(&caller, set).await?;
            if json {
                return print_json(&r);
            }
            println!(
                "took in {} ({} entries from {}): {} customer(s) matched",
                r.id, r.entries, r.publisher, r.matched_customers
            );
            for c in &r.cases {
                println!("  peer_signal case {c}");
            }
            Ok(())
        }
        SharingCmd::OprfLookup {
            from,
            kind,
            values,
            user,
            secret_env,
            json,
        } => {
            let kind: custos_app::sharing::oprf::OprfKind =
                serde_json::from_value(serde_json::Value::String(kind.trim().to_owned()))
                    .with_context(|| format!("--kind `{kind}` is not phone or ipv4"))?;
            let secret = std::env::var(&secret_env).unwrap_or_default();
            if secret.trim().is_empty() {
                bail!("set ${secret_env} to the key the peer gave you");
            }
            let creds = Credentials {
                user,
                secret: secret.trim().to_owned(),
            };
            let r = s.oprf_lookup(&caller, &from, &creds, kind, &values).await?;
            if json {
                return print_json(&r);
            }
            for (v, held) in values.iter().zip(&r.held) {
                println!(
                    "{v}: {}",
                    if *held {
                        "held by the peer"
                    } else {
                        "not held"
                    }
                );
            }
            println!("{} checked, {} held by the peer", r.checked, r.found);
            if r.left > 0 {
                eprintln!(
                    "note: the peer's hourly budget ran out; {} left to ask later",
                    r.left
                );
            }
            for c in &r.cases {
                println!("  peer_signal case {c}");
            }
            Ok(())
        }
        SharingCmd::Sets { json } => {
            let all = s.keyed_sets().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["set", "publisher", "key", "entries", "matched", "taken in"]);
            for x in &all {
                t.row(vec![
                    x.id.clone(),
                    x.publisher.clone(),
                    x.key_id.clone(),
                    x.entries.to_string(),
                    x.matched_customers.to_string(),
                    time_text(x.imported_at),
                ]);
            }
            t.print("no keyed sets taken in")
        }
        SharingCmd::Pull {
            from,
            collection,
            user,
            secret_env,
            json,
        } => {
            let secret = std::env::var(&secret_env).unwrap_or_default();
            if secret.trim().is_empty() {
                bail!("set ${secret_env} to the key or password the peer gave you");
            }
            let creds = Credentials {
                user,
                secret: secret.trim().to_owned(),
            };
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("pulling {collection}"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let p = s.pull_collection(&caller, &from, &collection, &creds).await;
            bar.finish_and_clear();
            let p = p?;
            if json {
                return print_json(&p);
            }
            println!(
                "pulled {} object(s) in {} page(s) into collection {}: {} new version(s), {} refused",
                p.objects, p.pages, p.source.local_collection, p.added, p.refused
            );
            for r in &p.refusals {
                println!("  refused {r}");
            }
            if p.matched {
                println!("{} peer signal case(s) opened", p.signals.len());
                for c in &p.signals {
                    println!(
                        "  {} on {}",
                        c.id,
                        c.account_id.as_ref().map(|a| a.as_str()).unwrap_or("?")
                    );
                }
            } else {
                eprintln!(
                    "note: the running server holds the ledger; it matches the indicators \
                     against it within seconds (peer_signal cases in `custos abuse ls`)"
                );
            }
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum IncidentsCmd {
    /// Record an incident from a JSON file with the fields CISA's form asks for (see the
    /// README); a covered one's report is due 72 hours after it was detected.
    Add {
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The incidents, newest first.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// One incident with its report.
    Show { id: String },
    /// Record that it was reported (its clock stops).
    Reported {
        id: String,
        /// Whom (`CISA`, `FBI IC3`); repeat for several.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        #[arg(long)]
        reference: Option<String>,
    },
    /// The filled sheet to paste into the CISA and FBI IC3 forms.
    Sheet {
        id: String,
        /// html or pdf.
        #[arg(long, default_value = "html")]
        format: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The incident as a STIX 2.1 bundle, on standard output.
    Stix {
        id: String,
        #[arg(long, default_value = "amber")]
        tlp: String,
    },
}

pub async fn incidents(app: &App, cmd: IncidentsCmd) -> Result<()> {
    use custos_app::sharing::incident::{NewIncident, Reported};
    let s = &app.service;
    let caller = crate::legal::caller();
    match cmd {
        IncidentsCmd::Add { file, json } => {
            let text =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let n: NewIncident = serde_json::from_slice(&text).with_context(|| {
                format!("{} is not an incident (see the README)", file.display())
            })?;
            let i = s.record_incident(&caller, n).await?;
            if json {
                return print_json(&i);
            }
            println!("incident {} recorded", i.id);
            if let Some(d) = i.due_at {
                println!("report it by {}", time_text(d));
            }
            Ok(())
        }
        IncidentsCmd::Ls { json } => {
            let all = s.incidents(&caller).await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&[
                "incident", "activity", "severity", "detected", "due", "reported",
            ]);
            let w = |v: serde_json::Result<serde_json::Value>| {
                v.ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            for i in &all {
                t.row(vec![
                    i.id.clone(),
                    w(serde_json::to_value(i.activity)),
                    w(serde_json::to_value(i.severity)),
                    time_text(i.detected_at),
                    i.due_at.map(time_text).unwrap_or_else(|| "-".into()),
                    i.reported_at.map(time_text).unwrap_or_else(|| "-".into()),
                ]);
            }
            t.print("no incidents")
        }
        IncidentsCmd::Show { id } => print_json(&s.incident(&caller, &id).await?),
        IncidentsCmd::Reported { id, to, reference } => {
            let i = s
                .incident_reported(&caller, &id, Reported { to, reference })
                .await?;
            println!("incident {} reported to {}", i.id, i.reported_to.join(", "));
            Ok(())
        }
        IncidentsCmd::Sheet { id, format, out } => {
            let bytes = match format.as_str() {
                "html" => s.incident_sheet_html(&caller, &id).await?.into_bytes(),
                "pdf" => s.incident_sheet_pdf(&caller, &id).await?,
                other => bail!("--format `{other}` is not html or pdf"),
            };
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        IncidentsCmd::Stix { id, tlp: level } => {
            let b = s.incident_bundle(&caller, &id, tlp(&level)?).await?;
            println!("{}", serde_json::to_string_pretty(&b)?);
            Ok(())
        }
    }
}
