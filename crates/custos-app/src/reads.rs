//! Reads and small operations the doors share: a customer's status, the audited customer
//! search, payment means, the pages of accounts, audit entries, documents and cases, and the
//! idempotency records of the API.

use custos_core::customer::CustomerSummary;
use custos_core::screening::CaseState;
use custos_core::{Account, AccountId, CustomerId};
use custos_store::blind::card_fingerprint_key;
use custos_store::{AuditRecord, DocumentMeta, IdemBegin, IndexKind, StoredCase};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::service::{Actor, App};

#[derive(Debug, Clone, Copy, serde::Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Email,
    Phone,
    /// `CC:NUMBER`, e.g. `DE:36574261809`.
    NationalId,
    /// A full card number; it is fingerprinted and dropped. (`card_number`, its name before,
    /// is accepted until the next release.)
    #[serde(alias = "card_number")]
    Card,
    Iban,
    /// `CHAIN:ADDRESS`, e.g. `ethereum:0x...`.
    Wallet,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    pub kind: SearchKind,
    pub value: String,
}

impl App {
    /// A customer's status: its summary (no personal data) and its accounts.
    pub async fn customer_status(
        &self,
        id: &CustomerId,
    ) -> Result<(CustomerSummary, Vec<Account>)> {
        let s = self.store().load_summary(id).await?.value;
        let accounts = self.store().accounts_of(id).await?;
        Ok((s, accounts))
    }

    /// The customers whose records hold a value (exact match through blind indexes). It
    /// reveals links between customers, so it is a read of personal data: audited, with a
    /// purpose.
    pub async fn search_customers(
        &self,
        actor: &Actor,
        purpose: &str,
        kind: SearchKind,
        value: String,
    ) -> Result<Vec<CustomerId>> {
        let (kind, value) = match kind {
            SearchKind::Email => (IndexKind::Email, value),
            SearchKind::Phone => (IndexKind::Phone, value),
            SearchKind::NationalId => (IndexKind::NationalId, value),
            SearchKind::Iban => (IndexKind::Iban, value),
            SearchKind::Wallet => (IndexKind::Wallet, value),
            SearchKind::Card => {
                let key = card_fingerprint_key(self.store().index_key());
                let f = custos_ids::card::facts(&value, &key)
                    .map_err(|e| crate::Error::invalid("value", e))?;
                (IndexKind::CardFingerprint, f.fingerprint)
            }
        };
        self.audit(actor, Some(purpose), "search_customers", kind.as_str())
            .await?;
        Ok(self.store().find_customers(kind, &value).await?)
    }

    pub async fn account(&self, id: &AccountId) -> Result<Account> {
        Ok(self.store().get_account(id).await?)
    }

    /// Accounts whose decision is not a plain approval and that are not closed, in id order.
    pub async fn accounts_needing_action(
        &self,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>> {
        Ok(self.store().accounts_needing_action(after, limit).await?)
    }

    /// The audit trail, after a place in it.
    pub async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRecord>> {
        Ok(self.store().audit_entries(after_seq, limit).await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store().ping().await?)
    }

    /// Whether the ledger can write (after a write failed, a probe is written).
    pub async fn ledger_writable(&self) -> Result<()> {
        if let Some(l) = self.ledger().cloned() {
            tokio::task::spawn_blocking(move || l.writable()).await??;
        }
        Ok(())
    }

    /// Which of these account ids exist (in order, once each).
    pub async fn known_accounts(&self, ids: &[String]) -> Result<Vec<String>> {
        Ok(self.store().known_accounts(ids).await?)
    }

    /// The sealed documents kept, of an owner and a kind.
    pub async fn documents(
        &self,
        owner: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<DocumentMeta>> {
        Ok(self
            .store()
            .documents(owner, kind)
            .await?
            .into_iter()
            .filter(|d| !crate::legal::is_legal_document(&d.kind))
            .collect())
    }

    pub async fn screening_cases(
        &self,
        state: Option<CaseState>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredCase>> {
        Ok(self.store().screening_cases(state, after, limit).await?)
    }

    pub async fn screening_case(&self, id: &str) -> Result<StoredCase> {
        Ok(self.store().screening_case(id).await?)
    }

    /// Starts an idempotent request of `principal` under `key`.
    pub async fn idempotency_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
    ) -> Result<IdemBegin> {
        Ok(self
            .store()
            .idem_begin(principal, key, request_hash, self.now())
            .await?)
    }

    /// Keeps the response of an idempotent request, for replays.
    pub async fn idempotency_complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()> {
        Ok(self
            .store()
            .idem_complete(principal, key, status, body)
            .await?)
    }

    /// Forgets an idempotent request that failed, so a retry runs again.
    pub async fn idempotency_abandon(&self, principal: &str, key: &str) -> Result<()> {
        Ok(self.store().idem_abandon(principal, key).await?)
    }
}
