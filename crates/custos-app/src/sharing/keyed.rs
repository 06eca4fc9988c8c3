//! Private matching of customers between providers, by shared keyed sets: a trust group holds
//! a key (named by a key id, rotated by making a new one); each member exports the
//! HMAC-SHA-256, under that key, of the canonical forms of the identifiers of its customers
//! closed for abuse, and imports the others' sets, matching its own customers against them.
//! A match opens a `peer_signal` review case on the customer. Who the peer's customers are is
//! never seen; only a value both hold is recognised, and only by members holding the key.
//!
//! The canonical forms (the README writes them down, so that another implementation produces
//! the same bytes) are those of the blind indexes (`custos_store::blind::normalise`), each
//! prefixed with its kind: `email:`, `phone:`, `national_id:`, `iban:`, `wallet:`. A card's
//! fingerprint is keyed by each provider's own key, so it is never in a set.

use chrono::{DateTime, Utc};
use custos_core::CustomerId;
use custos_core::abuse::{AbuseCase, Action, Category};
use custos_store::blind::{self, IndexKind};
use custos_store::{ComplianceRecord, DocumentMeta, StoreError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{Actor, App, CustomerPages};

/// The set's format, and the canonicalisation its entries were made with.
pub const FORMAT: &str = "custos-keyed-set/1";
pub const CANONICALIZATION: &str = "custos-identifiers/1";
pub const ALGORITHM: &str = "HMAC-SHA-256";
/// The owner of the trust groups' keys (sealed documents).
const KEY_OWNER: &str = "trust_keys";
/// The kind of compliance record an imported set is kept as.
const SET_KIND: &str = "keyed_set";
/// The most entries one set holds.
pub const MAX_ENTRIES: usize = 1_000_000;

/// A keyed set, as members exchange it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyedSet {
    /// `custos-keyed-set/1`.
    pub format: String,
    /// `HMAC-SHA-256`.
    pub algorithm: String,
    /// The trust group's key the entries were made under.
    pub key_id: String,
    /// `custos-identifiers/1`: the canonical forms the README lists.
    pub canonicalization: String,
    pub generated_at: DateTime<Utc>,
    /// Who made it.
    pub publisher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The MACs, lowercase hex, sorted (their order says nothing).
    pub entries: Vec<String>,
}

/// A set taken in, as kept (its entries sealed apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportedSet {
    pub id: String,
    pub key_id: String,
    pub publisher: String,
    pub generated_at: DateTime<Utc>,
    pub imported_at: DateTime<Utc>,
    pub entries: usize,
    /// The customers it matched when it was imported.
    pub matched_customers: usize,
    /// The `peer_signal` cases it opened.
    pub cases: Vec<String>,
}

/// A trust group's key as kept: the key itself only when it was made here (shown this once,
/// to give the other members).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewTrustKey {
    pub key_id: String,
    /// The key made here, base64 (32 bytes); absent when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> Error {
    Error::invalid(field, why.into())
}

fn key_id_ok(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(invalid(
            "key_id",
            "1 to 64 letters, digits, `-`, `_` or `.`",
        ));
    }
    Ok(id.to_owned())
}

/// The canonical forms of a customer's identifiers that go into a set.
pub fn canonical_forms(c: &custos_core::Customer) -> Vec<String> {
    let mut out: Vec<String> = blind::entries(c)
        .into_iter()
        .filter(|(k, _)| *k != IndexKind::CardFingerprint)
        .map(|(k, v)| format!("{}:{}", k.as_str(), blind::normalise(k, &v)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The entry a canonical form makes under `key`: HMAC-SHA-256, lowercase hex.
pub fn entry(key: &[u8], canonical: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl App {
    async fn trust_key(&self, key_id: &str) -> Result<Vec<u8>> {
        let kind = format!("trust_key_{key_id}");
        let Some(meta) = self
            .store
            .documents(Some(KEY_OWNER), Some(&kind))
            .await?
            .into_iter()
            .max_by_key(|d| d.version)
        else {
            return Err(invalid(
                "key_id",
                "no trust group key with this id is held here",
            ));
        };
        Ok(self.store.document(&meta.id).await?.1)
    }

    /// The key ids held, oldest first.
    pub async fn trust_keys(&self, caller: &Caller) -> Result<Vec<(String, DateTime<Utc>)>> {
        caller.require(Permission::Share)?;
        Ok(self
            .store
            .documents(Some(KEY_OWNER), None)
            .await?
            .into_iter()
            .filter_map(|d| Some((d.kind.strip_prefix("trust_key_")?.to_owned(), d.uploaded_at)))
            .collect())
    }

    /// Keeps a trust group's key under `key_id` (sealed): the one given (base64, 32 bytes), or
    /// a new one, returned to give the other members. A key id is kept once. Audited.
    pub async fn put_trust_key(
        &self,
        caller: &Caller,
        key_id: &str,
        key: Option<&str>,
    ) -> Result<NewTrustKey> {
        use base64::Engine;
        caller.require(Permission::Share)?;
        let key_id = key_id_ok(key_id)?;
        let bytes = match key {
            Some(k) => {
                let b = base64::engine::general_purpose::STANDARD
                    .decode(k.trim())
                    .map_err(|_| invalid("key", "is base64"))?;
                if b.len() != 32 {
                    return Err(invalid("key", "is 32 bytes (base64)"));
                }
                b
            }
            None => custos_store::crypto::SecretKey::generate()
                .expose()
                .to_vec(),
        };
        let _once = self.once.lock().await;
        if self.trust_key(&key_id).await.is_ok() {
            return Err(Error::Conflict(format!(
                "a trust group key `{key_id}` is held already: rotate by making a new key id"
            )));
        }
        self.store
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: KEY_OWNER.into(),
                    kind: format!("trust_key_{key_id}"),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: caller.key_id.clone(),
                    file_name: "key".into(),
                    media_type: "application/octet-stream".into(),
                    sha256: String::new(),
                    size: 32,
                },
                &bytes,
            )
            .await?;
        self.audit(&caller.actor(), None, "put_trust_key", &key_id)
            .await?;
        Ok(NewTrustKey {
            key_id,
            key: key
                .is_none()
                .then(|| base64::engine::general_purpose::STANDARD.encode(&bytes)),
        })
    }

    /// The set of this provider's customers closed for abuse, under trust key `key_id`.
    /// Reads their records (audited, with the purpose).
    pub async fn export_keyed_set(&self, caller: &Caller, key_id: &str) -> Result<KeyedSet> {
        caller.require(Permission::Share)?;
        let key_id = key_id_ok(key_id)?;
        let key = self.trust_key(&key_id).await?;
        let actor = caller.actor();
        self.audit(
            &actor,
            Some(&format!("keyed set for trust group key {key_id}")),
            "export_keyed_set",
            "customers closed for abuse",
        )
        .await?;
        let mut customers: Vec<CustomerId> = self
            .abuse_cases(None)
            .await?
            .into_iter()
            .filter(|c| c.actions.iter().any(|t| t.action == Action::CloseForAbuse))
            .filter_map(|c| c.customer_id)
            .collect();
        customers.sort();
        customers.dedup();
        let mut entries = vec![];
        for id in customers {
            if self.store.abuse_closure(&id).await?.is_none() {
                continue;
            }
            let c = match self.store.load_customer(&id).await {
                Ok(c) => c.value,
                // Destroyed since: nothing of it is left to share.
                Err(StoreError::NotFound(_) | StoreError::Destroyed(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            entries.extend(canonical_forms(&c).iter().map(|f| entry(&key, f)));
        }
        entries.sort();
        entries.dedup();
        let publisher = self
            .program_profile(&actor)
            .await?
            .map(|p| p.provider_name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "IaaS provider".into());
        Ok(KeyedSet {
            format: FORMAT.into(),
            algorithm: ALGORITHM.into(),
            key_id,
            canonicalization: CANONICALIZATION.into(),
            generated_at: self.now(),
            publisher,
            description: Some("Identifiers of customers closed for abuse".into()),
            entries,
        })
    }

    /// Takes in a peer's set: checked, kept sealed, and matched against every customer (their
    /// records read, audited); each customer with an identifier in it gets a `peer_signal`
    /// case. A set is taken in once (by its key, publisher and time).
    pub async fn import_keyed_set(&self, caller: &Caller, set: KeyedSet) -> Result<ImportedSet> {
        caller.require(Permission::Share)?;
        if set.format != FORMAT {
            return Err(invalid("format", format!("is `{FORMAT}`")));
        }
        if set.algorithm != ALGORITHM {
            return Err(invalid("algorithm", format!("is `{ALGORITHM}`")));
        }
        if set.canonicalization != CANONICALIZATION {
            return Err(invalid(
                "canonicalization",
                format!("is `{CANONICALIZATION}`"),
            ));
        }
        if set.entries.len() > MAX_ENTRIES {
            return Err(Error::TooLarge(format!(
                "a set holds at most {MAX_ENTRIES} entries"
            )));
        }
        if set.entries.iter().any(|e| {
            e.len() != 64
                || !e
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }) {
            return Err(invalid("entries", "each is 64 lowercase hex digits"));
        }
        let publisher = custos_core::text::free_text("publisher", &set.publisher)?;
        let key_id = key_id_ok(&set.key_id)?;
        let key = self.trust_key(&key_id).await?;
        let actor = caller.actor();
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            format!(
                "{key_id}|{publisher}|{}",
                set.generated_at.timestamp_micros()
            )
            .as_bytes(),
        ));
        let id = format!("kset_{}", &fingerprint[..24]);
        if self.store.compliance_record(&id).await.is_ok() {
            return Err(Error::Conflict(format!(
                "this set ({publisher}, {}) was taken in already: {id}",
                set.generated_at
            )));
        }
        let body = serde_json::to_vec(&set.entries)
            .map_err(|e| Error::Internal(format!("a keyed set: {e}")))?;
        self.store
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: id.clone(),
                    kind: "keyed_set_entries".into(),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: actor.id.clone(),
                    file_name: "entries.json".into(),
                    media_type: "application/json".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
                    size: body.len() as u64,
                },
                &body,
            )
            .await?;
        self.audit(
            &actor,
            Some(&format!("matching a peer's keyed set ({publisher})")),
            "import_keyed_set",
            &id,
        )
        .await?;
        let theirs: std::collections::HashSet<&str> =
            set.entries.iter().map(String::as_str).collect();
        let mut matched = vec![];
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(&*self.store).await? {
            for cid in ids {
                let c = match self.store.load_customer(&cid).await {
                    Ok(c) => c.value,
                    Err(StoreError::NotFound(_) | StoreError::Destroyed(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                let kinds: Vec<String> = canonical_forms(&c)
                    .iter()
                    .filter(|f| theirs.contains(entry(&key, f).as_str()))
                    .filter_map(|f| f.split(':').next().map(str::to_owned))
                    .collect();
                if !kinds.is_empty() {
                    matched.push((cid, kinds));
                }
            }
        }
        let mut cases = vec![];
        for (cid, kinds) in &matched {
            cases.push(
                self.keyed_signal_of(&actor, &id, &publisher, cid, kinds)
                    .await?
                    .id,
            );
        }
        let imported = ImportedSet {
            id: id.clone(),
            key_id,
            publisher,
            generated_at: set.generated_at,
            imported_at: self.now(),
            entries: set.entries.len(),
            matched_customers: matched.len(),
            cases,
        };
        self.store
            .put_compliance_record(
                &ComplianceRecord {
                    id,
                    kind: SET_KIND.into(),
                    subject: None,
                    created_at: imported.imported_at,
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(&imported)
                        .map_err(|e| Error::Internal(format!("a keyed set: {e}")))?,
                },
                &[],
            )
            .await?;
        Ok(imported)
    }

    /// The sets taken in, oldest first.
    pub async fn keyed_sets(&self) -> Result<Vec<ImportedSet>> {
        self.store
            .compliance_records(SET_KIND, None)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("a stored keyed set: {e}")))
            })
            .collect()
    }

    /// A `peer_signal` case on a customer a peer's set matched (by the kinds of identifier).
    pub(crate) async fn keyed_signal_of(
        &self,
        actor: &Actor,
        set: &str,
        publisher: &str,
        customer: &CustomerId,
        kinds: &[String],
    ) -> Result<AbuseCase> {
        let now = self.now();
        let evidence = serde_json::json!({
            "report_id": set,
            "reported_by": publisher,
            "category": Category::Other,
            "at": now,
            "evidence": format!(
                "{publisher}'s set of the customers it closed for abuse holds this customer's {}.",
                kinds.join(", ")
            ),
            "references": [set],
            "matched_kinds": kinds,
        });
        self.open_signal(
            actor,
            super::Signal {
                report_id: set.to_owned(),
                reported_by: publisher.to_owned(),
                category: Category::Other,
                account: None,
                customer: Some(customer.clone()),
                occurred_at: now,
                evidence,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_hmac_sha256_of_the_canonical_form() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            entry(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
