//! The audit trail: every read of personal data and every administrative act, written before
//! the read it announces, and mirrored into the ledger's audit log.

use custos_store::AuditEntry;

use crate::error::{Error, Result};
use crate::service::{Actor, App};

impl App {
    pub async fn audit(
        &self,
        actor: &Actor,
        purpose: Option<&str>,
        action: &str,
        record: &str,
    ) -> Result<()> {
        self.audit_many(actor, purpose, action, &[record]).await
    }

    /// [`App::audit`] for many records at once (a walk over every customer), one entry each,
    /// in one write to the trail and then the ledger's audit log.
    pub async fn audit_many(
        &self,
        actor: &Actor,
        purpose: Option<&str>,
        action: &str,
        records: &[&str],
    ) -> Result<()> {
        let at = self.now();
        let entries: Vec<AuditEntry> = records
            .iter()
            .map(|r| AuditEntry {
                at,
                actor: actor.id.clone(),
                role: actor.role.clone(),
                purpose: purpose.map(str::to_owned),
                action: action.to_owned(),
                record: (*r).to_owned(),
            })
            .collect();
        let Some(last) = self.store.append_audits(&entries).await? else {
            return Ok(());
        };
        // The same records in the ledger's audit log, durable before the read they announce
        // (with any that other processes wrote to the trail since).
        if self.ledger.is_some() {
            self.mirror_audit_to(last.seq).await?;
        }
        Ok(())
    }

    /// Copies into the ledger's audit log every audit record not yet there, in the trail's
    /// order: those of this process, and those other processes (commands run while a server
    /// holds the ledger) wrote to the trail only. Returns how many. Without the ledger, none.
    pub async fn mirror_audit(&self) -> Result<u64> {
        self.mirror_audit_to(i64::MAX).await
    }

    async fn mirror_audit_to(&self, upto: i64) -> Result<u64> {
        let Some(l) = self.ledger.clone() else {
            return Ok(0);
        };
        let mut last = self.audit_mirrored.lock().await;
        let mut after = match *last {
            Some(s) => s,
            None => {
                // Where the ledger's audit log ends: its last record's place in the trail.
                let l = l.clone();
                tokio::task::spawn_blocking(move || -> Result<i64> {
                    let n = l.audit.size();
                    if n == 0 {
                        return Ok(0);
                    }
                    let bytes = l.audit.entry(n - 1)?;
                    Ok(serde_json::from_slice::<custos_store::AuditRecord>(&bytes)
                        .map(|r| r.seq)
                        .unwrap_or(0))
                })
                .await??
            }
        };
        let mut copied = 0;
        while after < upto {
            let recs = self.store.audit_entries(after, 1000).await?;
            let Some(end) = recs.last().map(|r| r.seq) else {
                break;
            };
            let leaves = recs
                .iter()
                .map(serde_json::to_vec)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Internal(format!("audit record: {e}")))?;
            copied += leaves.len() as u64;
            let l = l.clone();
            tokio::task::spawn_blocking(move || l.audit.append_encoded(leaves)).await??;
            after = end;
            *last = Some(after);
        }
        Ok(copied)
    }
}

/// Where the audit trail's hash chain stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChain {
    /// Entries in the trail.
    pub entries: i64,
    /// The first entry whose hash, or link to the one before, is not what its content gives.
    pub broken_at: Option<i64>,
    /// Entries in the ledger's signed audit log (none without a ledger).
    pub mirrored: u64,
}

impl App {
    /// Checks the audit trail's hash chain (each entry's hash from the one before, its place
    /// and its content), from where the last check ended: a console page or an operator can
    /// ask it as often as they like.
    pub async fn audit_chain(&self) -> Result<AuditChain> {
        let mut checked = self.audit_checked.lock().await;
        let (mut seq, mut prev) = checked.clone();
        let mut broken_at = None;
        'pages: loop {
            let page = self.store.audit_entries(seq, 1000).await?;
            if page.is_empty() {
                break;
            }
            for r in &page {
                let body = serde_json::to_string(&r.entry)
                    .map_err(|e| Error::Internal(format!("an audit entry: {e}")))?;
                let linked = hex::encode(&prev) == r.prev_hash;
                let hash = custos_store::audit_hash(&prev, r.seq, &body);
                if !linked || r.seq != seq + 1 || hex::encode(hash) != r.hash {
                    broken_at = Some(r.seq);
                    break 'pages;
                }
                seq = r.seq;
                prev = hash.to_vec();
            }
        }
        if broken_at.is_none() {
            *checked = (seq, prev);
        }
        let mirrored = self.ledger.as_ref().map_or(0, |l| l.audit.size());
        Ok(AuditChain {
            entries: seq.max(checked.0),
            broken_at,
            mirrored,
        })
    }
}
