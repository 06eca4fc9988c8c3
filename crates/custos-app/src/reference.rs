//! Reference lists for detection: IP ranges with labels, disposable email domains, BIN
//! ranges. Each is imported whole as a new version (`custos reference import`), or refused
//! whole with the current version left in use; the newest version of each kind is what
//! lookups read, loaded once and kept until a newer one is imported.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

use custos_screen::reference::{
    BinRange, IpClass, IpTable, RefKind, Reference, bin_lookup, is_listed,
};
use custos_store::StoredReference;

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
            return Err(Error::invalid(
                "file",
                format!(
                    "holds {} bytes: a reference list holds at most {MAX_REFERENCE_BYTES}",
                    bytes.len()
                ),
            ));
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
