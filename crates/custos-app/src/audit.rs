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
        let rec = self
            .store
            .append_audit(&AuditEntry {
                at: self.now(),
                actor: actor.id.clone(),
                role: actor.role.clone(),
                purpose: purpose.map(str::to_owned),
                action: action.to_owned(),
                record: record.to_owned(),
            })
            .await?;
        // The same record in the ledger's audit log, durable before the read it announces
        // (with any that other processes wrote to the trail since).
        if self.ledger.is_some() {
            self.mirror_audit_to(rec.seq).await?;
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
