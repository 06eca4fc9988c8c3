//! Packages produced other than straight to a path: kept sealed for the API's download, and
//! ordered by a command while a server holds the ledger (the server writes them).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::LegalRequest;
use super::Production;
use super::package::ready_to_produce;
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{App, new_id};

/// The largest package kept for download through the API; a larger one is written by
/// `custos legal package`, straight to where it goes.
pub const MAX_KEPT_PACKAGE: u64 = 256 * 1024 * 1024;

impl App {
    /// Produces a request's package as a zip and keeps it sealed for download (the API's
    /// production): the production names the document it is kept as.
    pub async fn produce_legal_kept(
        &self,
        caller: &Caller,
        id: &str,
        recipient: Option<String>,
    ) -> Result<Production> {
        let tmp = tempfile::tempdir()
            .map_err(|e| Error::Internal(format!("a temporary directory: {e}")))?;
        let out = tmp.path().join(format!("{id}.zip"));
        let p = self
            .produce_legal(caller, id, &out, recipient, std::sync::Arc::new(|_| {}))
            .await?;
        let bytes = tokio::fs::read(&out)
            .await
            .map_err(|e| Error::Internal(format!("reading the package: {e}")))?;
        if bytes.len() as u64 > MAX_KEPT_PACKAGE {
            return Err(Error::TooLarge(format!(
                "the package is {} MiB, more than the {} MiB kept for download: it was recorded \
                 as produced but not kept; write it with `custos legal package {id} OUT`",
                bytes.len() / 1024 / 1024,
                MAX_KEPT_PACKAGE / 1024 / 1024
            )));
        }
        let meta = self
            .store()
            .add_document(
                &custos_store::DocumentMeta {
                    id: String::new(),
                    owner: id.to_owned(),
                    kind: super::PRODUCTION_KIND.into(),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: caller.actor().id,
                    file_name: format!("{}.zip", p.id),
                    media_type: "application/zip".into(),
                    sha256: hex::encode(Sha256::digest(&bytes)),
                    size: bytes.len() as u64,
                },
                &bytes,
            )
            .await?;
        let _once = self.once.lock().await;
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        let mut kept = p.clone();
        kept.document_id = Some(meta.id.clone());
        if let Some(x) = r.productions.iter_mut().find(|x| x.id == p.id) {
            *x = kept.clone();
        }
        self.keep(&r).await?;
        Ok(kept)
    }

    /// A kept package, for download: reading it is recorded as a disclosure read.
    pub async fn legal_production(
        &self,
        caller: &Caller,
        id: &str,
        production: &str,
    ) -> Result<(String, Vec<u8>)> {
        caller.require(Permission::LegalHold)?;
        let r = self.kept_one::<LegalRequest>(id).await?;
        let Some(p) = r.productions.iter().find(|p| p.id == production) else {
            return Err(Error::NotFound(format!(
                "production {production} of legal request {id}"
            )));
        };
        let Some(doc) = &p.document_id else {
            return Err(Error::NotFound(format!(
                "a kept package of production {production}: it was written by the CLI, not kept"
            )));
        };
        self.audit(
            &caller.actor(),
            Some(&format!("legal request {id}")),
            "read_production",
            &format!("{id}/{production}"),
        )
        .await?;
        let (_, bytes) = self.store().document(doc).await?;
        Ok((format!("{production}.zip"), bytes))
    }
}

/// A package a command asked for while a server held the ledger: the server writes it, where
/// the command said, in the asker's name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PackageOrder {
    pub id: String,
    pub request_id: String,
    /// Where to write it: an absolute path on the machine both run on.
    pub out: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub asked_by: String,
    pub asked_role: crate::keys::Role,
    pub asked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<Production>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl crate::kept::Kept for PackageOrder {
    const KIND: &'static str = "legal_package_order";
    const NAME: &'static str = "package order";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> crate::kept::Place {
        crate::kept::Place {
            subject: Some(self.request_id.clone()),
            created: self.asked_at,
            due: None,
            closed: self.done_at,
        }
    }
}

/// An order older than this when the server comes to it is not written (its asker is long
/// gone): it fails, saying so.
const ORDER_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(1);

impl App {
    /// [`App::produce_legal`] for a process that does not hold the ledger (a command while a
    /// server runs): the package is ordered from the ledger's owner, which writes it to `out`
    /// in the caller's name; this waits for it up to `wait`, calling `waiting` as it does.
    pub async fn produce_legal_via_owner(
        &self,
        caller: &Caller,
        id: &str,
        out: &Path,
        recipient: Option<String>,
        wait: std::time::Duration,
        waiting: &(dyn Fn() + Send + Sync),
    ) -> Result<Production> {
        caller.require(Permission::LegalHold)?;
        let r = self.kept_one::<LegalRequest>(id).await?;
        ready_to_produce(&r, out)?;
        let out = std::path::absolute(out)
            .map_err(|e| Error::invalid("out", format!("{}: {e}", out.display())))?;
        let order = PackageOrder {
            id: new_id("lpkg_"),
            request_id: id.to_owned(),
            out,
            recipient,
            asked_by: caller.actor().id,
            asked_role: caller.role,
            asked_at: self.now(),
            done_at: None,
            production: None,
            error: None,
        };
        self.keep(&order).await?;
        self.store()
            .queue_work(
                custos_store::RetentionWork::LegalPackage,
                std::slice::from_ref(&order.id),
                self.now(),
                false,
            )
            .await?;
        let started = std::time::Instant::now();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            waiting();
            let o = self.kept_one::<PackageOrder>(&order.id).await?;
            if o.done_at.is_some() {
                return match (o.production, o.error) {
                    (Some(p), _) => Ok(p),
                    (None, e) => Err(Error::Conflict(format!(
                        "the running server could not write the package: {}",
                        e.unwrap_or_default()
                    ))),
                };
            }
            if started.elapsed() > wait {
                return Err(Error::Conflict(format!(
                    "the running server has not written the package yet: order {} stays queued \
                     for {} minutes more, and `custos legal requests show {id}` lists the \
                     production once it is written",
                    order.id,
                    (ORDER_LIFETIME.num_minutes() - (wait.as_secs() / 60) as i64).max(0)
                )));
            }
        }
    }

    /// Writes the packages commands ordered (the ledger's owner calls it on a timer); without
    /// the ledger it does nothing. Returns how many it wrote.
    pub async fn package_work(&self) -> Result<u64> {
        use custos_store::RetentionWork;
        if self.ledger.is_none() {
            return Ok(0);
        }
        let mut n = 0;
        for (subject, generation) in self
            .store()
            .pending_work(RetentionWork::LegalPackage, 10)
            .await?
        {
            let done = |n: i64| {
                self.store().work_done(
                    RetentionWork::LegalPackage,
                    &subject,
                    generation,
                    self.now(),
                    n,
                )
            };
            let Some((_, mut o)) = self.kept::<PackageOrder>(&subject).await? else {
                done(0).await?;
                continue;
            };
            let result = if self.now() - o.asked_at > ORDER_LIFETIME {
                Err(Error::Conflict(format!(
                    "ordered at {} and not written within {} minutes: ask again",
                    o.asked_at.to_rfc3339(),
                    ORDER_LIFETIME.num_minutes()
                )))
            } else {
                let caller = Caller {
                    key_id: o.asked_by.clone(),
                    role: o.asked_role,
                    scope: None,
                };
                self.produce_legal(
                    &caller,
                    &o.request_id,
                    &o.out,
                    o.recipient.clone(),
                    std::sync::Arc::new(|_| {}),
                )
                .await
            };
            o.done_at = Some(self.now());
            match result {
                Ok(p) => {
                    o.production = Some(p);
                    n += 1;
                }
                Err(e) => o.error = Some(e.to_string()),
            }
            self.keep(&o).await?;
            done(1).await?;
        }
        Ok(n)
    }
}
