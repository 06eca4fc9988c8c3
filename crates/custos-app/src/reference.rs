//! Reference lists for detection: IP ranges with labels, disposable email domains, BIN
//! ranges. Each is imported whole as a new version (`custos reference import`), or refused
//! whole with the current version left in use; the newest version of each kind is what
//! lookups read, loaded once and kept until a newer one is imported.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
pub use custos_screen::reference::RefKind;
use custos_screen::reference::{BinRange, IpClass, IpTable, Reference, bin_lookup, is_listed};
use custos_store::StoredReference;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::{Actor, App};

/// The most a reference file may hold.
pub const MAX_REFERENCE_BYTES: usize = 64 << 20;

/// The reference data in use, and the versions it was built from.
pub(crate) type ReferenceCache = Arc<tokio::sync::RwLock<Option<Arc<ReferenceData>>>>;

/// The reference lists in use (the newest version of each kind), ready for lookups.
#[derive(Debug, Default)]
pub struct ReferenceData {
    pub ip: IpTable,
    pub domains: BTreeSet<String>,
    pub bins: Vec<BinRange>,
    /// The versions these came from, one a kind at most.
    pub versions: Vec<StoredReference>,
}

impl ReferenceData {
    /// What the IP ranges say of an address (`unknown` when no range holds it).
    pub fn ip(&self, ip: IpAddr) -> IpClass {
        self.ip.lookup(ip)
    }

    /// Whether an email domain (IDNA-encoded) is a throwaway one: listed in the imported
    /// domains, or in the list built into custos (mailchecker's).
    pub fn disposable(&self, domain_ascii: &str) -> bool {
        is_listed(&self.domains, domain_ascii) || custos_ids::email::disposable(domain_ascii)
    }

    /// The narrowest BIN range holding a card's first six to eight digits.
    pub fn bin(&self, bin: &str) -> Option<&BinRange> {
        bin_lookup(&self.bins, bin)
    }
}

/// A version read back and made ready for lookups.
enum Ready {
    Ip(IpTable),
    Domains(BTreeSet<String>),
    Bins(Vec<BinRange>),
}

/// What an import came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// A new version, now in use.
    Saved(StoredReference),
    /// The same data as the version in use: nothing was written.
    Unchanged(StoredReference),
}

impl Imported {
    /// `saved` or `unchanged`, and the version in use.
    pub fn parts(&self) -> (&'static str, &StoredReference) {
        match self {
            Imported::Saved(v) => ("saved", v),
            Imported::Unchanged(v) => ("unchanged", v),
        }
    }
}

/// A version of a reference list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReferenceVersion {
    /// `ip-ranges`, `disposable-domains` or `bin-ranges`.
    pub kind: String,
    /// The version's number within its kind: 1 for the first.
    pub number: i64,
    /// Where it came from: the file imported (its path, or the name an upload gave).
    pub source: String,
    pub imported_at: DateTime<Utc>,
    /// SHA-256 of its canonical text: the same data laid out otherwise has the same hash.
    pub content_hash: String,
    pub entries: i64,
}

impl From<&StoredReference> for ReferenceVersion {
    fn from(v: &StoredReference) -> Self {
        ReferenceVersion {
            kind: v.kind.clone(),
            number: v.number,
            source: v.source.clone(),
            imported_at: v.retrieved_at,
            content_hash: v.content_hash.clone(),
            entries: v.entries,
        }
    }
}

/// What an import came to, as the API and `custos reference import --json` say it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResult {
    /// `saved` (a new version, now in use) or `unchanged` (the same data as the version in
    /// use: nothing written).
    pub result: String,
    pub version: ReferenceVersion,
}

impl From<&Imported> for ImportResult {
    fn from(i: &Imported) -> Self {
        let (result, v) = i.parts();
        ImportResult {
            result: result.into(),
            version: v.into(),
        }
    }
}

/// What the reference lists in use say of a value.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "what", rename_all = "snake_case")]
#[schema(as = ReferenceLookup)]
pub enum Lookup {
    /// An IP address: the most telling kind of the ranges holding it (`tor`, `vpn`, `proxy`,
    /// `hosting`, `cdn`, `bot`, `residential`, `mobile`, or `unknown`), every label, and the
    /// providers named.
    Ip {
        ip: String,
        kind: String,
        labels: Vec<String>,
        providers: Vec<String>,
    },
    /// An email domain (IDNA-encoded): whether it is a throwaway one.
    Domain { domain: String, disposable: bool },
    /// A card's first six to eight digits: the narrowest range holding them (`funding`
    /// `unknown` and no brand when none does).
    Bin {
        bin: String,
        brand: Option<String>,
        funding: String,
        country: Option<String>,
        from: Option<String>,
        to: Option<String>,
    },
}

impl App {
    /// Imports a reference list of `kind` from `bytes` (named `source` in its version) as the
    /// version in use: read whole first, so that a file with one bad line is refused, naming
    /// it, and the current version stays. The same data as the current version writes
    /// nothing. Audited.
    pub async fn import_reference(
        &self,
        actor: &Actor,
        kind: RefKind,
        source: &str,
        bytes: Vec<u8>,
    ) -> Result<Imported> {
        let source = custos_core::text::free_text("source", source)?;
        if bytes.is_empty() {
            return Err(Error::invalid("file", "is empty"));
        }
        if bytes.len() > MAX_REFERENCE_BYTES {
            return Err(Error::TooLarge(format!(
                "the file holds {} bytes: a reference list holds at most {MAX_REFERENCE_BYTES}",
                bytes.len()
            )));
        }
        let parsed = tokio::task::spawn_blocking(move || Reference::parse(kind, &bytes))
            .await
            .map_err(|e| Error::Internal(format!("reading a reference list: {e}")))?
            .map_err(|e| {
                Error::invalid(
                    "file",
                    format!(
                        "the {} list was not imported, and the version in use stays: {e}",
                        kind.as_str()
                    ),
                )
            })?;
        let canonical = parsed.canonical();
        let hash = parsed.content_hash();
        let _once = self.once.lock().await;
        let current = self.store.references(Some(kind.as_str())).await?;
        if let Some(c) = current.first()
            && c.content_hash == hash
        {
            return Ok(Imported::Unchanged(c.clone()));
        }
        let Some(saved) = self
            .store
            .save_reference(
                &StoredReference {
                    id: 0,
                    kind: kind.as_str().into(),
                    number: 0,
                    source,
                    retrieved_at: self.now(),
                    content_hash: hash,
                    entries: parsed.len() as i64,
                },
                canonical.as_bytes(),
            )
            .await?
        else {
            // Another process imported the same data a moment ago.
            let current = self.store.references(Some(kind.as_str())).await?;
            let c = current
                .into_iter()
                .next()
                .ok_or_else(|| Error::Internal("a reference version vanished".into()))?;
            return Ok(Imported::Unchanged(c));
        };
        self.audit(
            actor,
            None,
            "import_reference",
            &format!("{}/{}", saved.kind, saved.number),
        )
        .await?;
        *self.references.write().await = None;
        Ok(Imported::Saved(saved))
    }

    /// What the lists in use say of `value`: `what` is `ip`, `domain` (or an email address:
    /// its domain) or `bin`. A value that is not one is refused (a BIN is never a whole card
    /// number, and one is not echoed).
    pub async fn reference_lookup(&self, what: &str, value: &str) -> Result<Lookup> {
        let value = value.trim();
        let d = self.reference_data().await?;
        Ok(match what {
            "ip" => {
                let ip: IpAddr = value
                    .parse()
                    .map_err(|_| Error::invalid("ip", "is not an IP address"))?;
                let c = d.ip(ip);
                Lookup::Ip {
                    ip: ip.to_string(),
                    kind: c.kind,
                    labels: c.labels,
                    providers: c.providers,
                }
            }
            "domain" => {
                // An address is asked of its domain.
                let value = value.rsplit_once('@').map_or(value, |(_, d)| d);
                let domain = custos_ids::email::domain_ascii(value)
                    .map_err(|e| Error::invalid("domain", format!("is not a domain: {e}")))?;
                Lookup::Domain {
                    disposable: d.disposable(&domain),
                    domain,
                }
            }
            "bin" => {
                if !(6..=8).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::invalid(
                        "bin",
                        "a BIN is a card's first six to eight digits (never its whole number)",
                    ));
                }
                match d.bin(value) {
                    Some(b) => Lookup::Bin {
                        bin: value.into(),
                        brand: Some(b.brand.clone()),
                        funding: b.funding.clone(),
                        country: (!b.country.is_empty()).then(|| b.country.clone()),
                        from: Some(format!("{:08}", b.from)),
                        to: Some(format!("{:08}", b.to)),
                    },
                    None => Lookup::Bin {
                        bin: value.into(),
                        brand: None,
                        funding: "unknown".into(),
                        country: None,
                        from: None,
                        to: None,
                    },
                }
            }
            other => {
                return Err(Error::invalid(
                    "what",
                    format!("`{other}` cannot be looked up: ip, domain or bin"),
                ));
            }
        })
    }

    /// The versions of one kind of reference list, or of all, newest first.
    pub async fn references(&self, kind: Option<RefKind>) -> Result<Vec<StoredReference>> {
        Ok(self.store.references(kind.map(RefKind::as_str)).await?)
    }

    /// The reference data in use: the newest version of each kind, loaded once and again
    /// only when another process imported a newer one.
    pub async fn reference_data(&self) -> Result<Arc<ReferenceData>> {
        let all = self.store.references(None).await?;
        let mut newest: Vec<StoredReference> = vec![];
        for v in all {
            if !newest.iter().any(|n| n.kind == v.kind) {
                newest.push(v);
            }
        }
        if let Some(d) = self.references.read().await.as_ref()
            && d.versions == newest
        {
            return Ok(d.clone());
        }
        let mut data = ReferenceData::default();
        for v in &newest {
            let Some(kind) = RefKind::parse(&v.kind) else {
                continue;
            };
            let body = self.store.reference_body(v.id).await?;
            // Read and made ready off the runtime: a large list takes a while.
            let parsed = tokio::task::spawn_blocking(move || {
                Reference::parse(kind, &body).map(|r| match r {
                    Reference::IpRanges(r) => Ready::Ip(IpTable::new(&r)),
                    Reference::DisposableDomains(d) => Ready::Domains(d),
                    Reference::BinRanges(b) => Ready::Bins(b),
                })
            })
            .await
            .map_err(|e| Error::Internal(format!("reading a reference list: {e}")))?
            .map_err(|e| {
                Error::Internal(format!(
                    "the stored {} version {} does not read back: {e}",
                    v.kind, v.number
                ))
            })?;
            match parsed {
                Ready::Ip(t) => data.ip = t,
                Ready::Domains(d) => data.domains = d,
                Ready::Bins(b) => data.bins = b,
            }
        }
        data.versions = newest;
        let data = Arc::new(data);
        *self.references.write().await = Some(data.clone());
        Ok(data)
    }
}
