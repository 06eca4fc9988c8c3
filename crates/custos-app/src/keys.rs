//! API keys, roles and what each role may do.
//!
//! A caller presents a token `custos_<id>_<secret>_<crc>`. The stored form of a key is an
//! argon2id hash, deliberately slow to check; so after one successful check the application
//! remembers, in memory, a SHA-256 of the secret for that key id, and re-reads the key's record
//! (to see revocations) at most every [`RECHECK`]. A wrong secret never gets a cached answer:
//! it always goes to argon2.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use custos_core::AccountId;
use custos_store::{StoreError, tokens};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::{Actor, App};

/// How long a verified key is trusted before its record is read again.
pub const RECHECK: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The provider's sign-up flow and control plane: creates customers and accounts, reads
    /// decisions, never reads personal data back.
    Integrator,
    /// Works the review queue; reads personal data with a stated purpose.
    Reviewer,
    /// Reviews, places legal holds, reads the audit trail.
    ComplianceOfficer,
    /// Reads personal data and the audit trail; changes nothing.
    Auditor,
    Admin,
    /// A reseller: records its own sub-lessees (customers and accounts under its reseller
    /// account) and its CIP; its key is scoped to its account's subtree.
    Reseller,
    /// Another provider or an agency: reads (and writes) the TAXII collections it was given,
    /// under `/taxii2/`, and nothing else.
    Peer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Integrator => "integrator",
            Role::Reviewer => "reviewer",
            Role::ComplianceOfficer => "compliance_officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
            Role::Reseller => "reseller",
            Role::Peer => "peer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "integrator" => Role::Integrator,
            "reviewer" => Role::Reviewer,
            "compliance_officer" => Role::ComplianceOfficer,
            "auditor" => Role::Auditor,
            "admin" => Role::Admin,
            "reseller" => Role::Reseller,
            "peer" => Role::Peer,
            _ => return None,
        })
    }

    /// Whether a person may have this role in the console: a reseller and a peer work
    /// through their API keys only.
    pub fn for_people(self) -> bool {
        !matches!(self, Role::Reseller | Role::Peer)
    }

    /// The provider's roles (a reseller's key needs a scope besides; a peer is outside).
    pub const ALL: [Role; 5] = [
        Role::Integrator,
        Role::Reviewer,
        Role::ComplianceOfficer,
        Role::Auditor,
        Role::Admin,
    ];
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create customers and accounts, add records, report results and accesses.
    Intake,
    /// Read decisions and statuses (no personal data).
    ReadDecisions,
    /// Read personal data (with a purpose, audited).
    ReadPersonal,
    /// Decide manual reviews and resubmissions.
    Review,
    CloseAccount,
    LegalHold,
    ReadAudit,
    ManageKeys,
    /// Run the compliance program: designations, exemptions, resellers' oversight, the ADP
    /// record, sweeps.
    Compliance,
    /// Read the compliance program's records and reports (no personal data).
    ReadCompliance,
    /// Keep a reseller's CIP: the compliance program's, or the reseller's own.
    KeepCip,
    /// Read a reseller's CIP versions: the compliance program, or the reseller itself.
    ReadCip,
    /// Ask for redress after a failed verification: the sign-up flow or a reviewer.
    Redress,
    /// Report abuse (an address and a time, or an account): the abuse desk's automation or a
    /// person working abuse.
    ReportAbuse,
    /// Read abuse cases (the workflow, no personal data): the people who work or audit them.
    ReadCases,
    /// Share with peers: keep the TAXII collections, share an abuse case, take a peer's
    /// objects in.
    Share,
    /// Reach the TAXII server (`/taxii2/`): a peer, within the collections it was given, and
    /// the provider's people who keep sharing.
    Taxii,
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        use Permission::*;
        use Role::*;
        match self {
            // A peer reaches the TAXII server and nothing else.
            _ if role == Peer => self == Taxii,
            ReadDecisions => true,
            Intake => matches!(role, Integrator | Admin | Reseller),
            ReadPersonal => matches!(role, Reviewer | ComplianceOfficer | Auditor | Admin),
            Review => matches!(role, Reviewer | ComplianceOfficer | Admin),
            CloseAccount => matches!(role, Integrator | ComplianceOfficer | Admin | Reseller),
            LegalHold => matches!(role, ComplianceOfficer | Admin),
            ReadAudit => matches!(role, ComplianceOfficer | Auditor | Admin),
            ManageKeys => matches!(role, Admin),
            Compliance => matches!(role, ComplianceOfficer | Admin),
            ReadCompliance => matches!(role, ComplianceOfficer | Auditor | Admin),
            KeepCip => matches!(role, ComplianceOfficer | Admin | Reseller),
            ReadCip => matches!(role, ComplianceOfficer | Auditor | Admin | Reseller),
            Redress => matches!(
                role,
                Integrator | Admin | Reseller | Reviewer | ComplianceOfficer
            ),
            ReportAbuse => matches!(role, Integrator | Reviewer | ComplianceOfficer | Admin),
            ReadCases => matches!(role, Reviewer | ComplianceOfficer | Auditor | Admin),
            Share => matches!(role, ComplianceOfficer | Admin),
            Taxii => matches!(role, ComplianceOfficer | Auditor | Admin),
        }
    }
}

/// An authenticated caller: whose key, which role, and (a reseller's key) the reseller
/// account it is limited to.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: String,
    pub role: Role,
    pub scope: Option<AccountId>,
}

impl Caller {
    pub fn require(&self, p: Permission) -> Result<()> {
        if p.allows(self.role) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "the `{}` role may not do this",
                self.role.as_str()
            )))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: self.key_id.clone(),
            role: self.role.as_str().to_owned(),
        }
    }
}

#[derive(Debug)]
struct Cached {
    secret_sha: [u8; 32],
    role: Role,
    scope: Option<AccountId>,
    checked: Instant,
}

/// Verified keys, by id.
#[derive(Debug, Default, Clone)]
pub struct KeyCache(Arc<RwLock<HashMap<String, Cached>>>);

fn sha(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl KeyCache {
    /// Authenticates a token.
    pub async fn authenticate(&self, app: &App, token: &str) -> Result<Caller> {
        let t = tokens::parse(token).ok_or(Error::Unauthenticated)?;
        let digest = sha(t.secret);
        if let Ok(map) = self.0.read()
            && let Some(c) = map.get(t.id)
            && c.secret_sha == digest
            && c.checked.elapsed() < RECHECK
        {
            return Ok(Caller {
                key_id: t.id.to_owned(),
                role: c.role,
                scope: c.scope.clone(),
            });
        }
        let rec = match app.store().get_api_key(t.id).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Err(Error::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        if rec.revoked_at.is_some() {
            if let Ok(mut map) = self.0.write() {
                map.remove(t.id);
            }
            return Err(Error::Unauthenticated);
        }
        let known = self
            .0
            .read()
            .ok()
            .and_then(|m| m.get(t.id).map(|c| c.secret_sha == digest))
            .unwrap_or(false);
        if !known {
            let secret = t.secret.to_owned();
            let hash = rec.hash.clone();
            let ok =
                tokio::task::spawn_blocking(move || tokens::verify_secret(&secret, &hash)).await?;
            if !ok {
                return Err(Error::Unauthenticated);
            }
        }
        let role = Role::parse(&rec.role).ok_or_else(|| {
            Error::Internal(format!("stored API key {} has an unknown role", rec.id))
        })?;
        let scope = match (role, rec.scope.as_deref()) {
            (Role::Reseller, Some(s)) => Some(AccountId::parse(s).map_err(|_| {
                Error::Internal(format!("stored API key {} has a malformed scope", rec.id))
            })?),
            (Role::Reseller, None) | (_, Some(_)) => {
                return Err(Error::Internal(format!(
                    "stored API key {}'s scope does not fit its role",
                    rec.id
                )));
            }
            (_, None) => None,
        };
        if let Ok(mut map) = self.0.write() {
            map.insert(
                t.id.to_owned(),
                Cached {
                    secret_sha: digest,
                    role,
                    scope: scope.clone(),
                    checked: Instant::now(),
                },
            );
        }
        Ok(Caller {
            key_id: t.id.to_owned(),
            role,
            scope,
        })
    }
}

impl App {
    /// Issues an API key, as an administrator does by any door: its name and scope checked,
    /// the key created, the act audited. Returns the token (to show once) and its id.
    pub async fn issue_key(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        scope: Option<&AccountId>,
    ) -> Result<(String, String)> {
        let name = custos_core::text::free_text("name", name)?;
        self.check_key_scope(role == Role::Reseller, scope).await?;
        let (token, id) = self.create_scoped_key(&name, role, scope).await?;
        self.audit(actor, None, "create_api_key", &id).await?;
        Ok((token, id))
    }

    /// Revokes an API key, audited. A running server refuses it within [`RECHECK`].
    pub async fn revoke_key(&self, actor: &Actor, id: &str) -> Result<()> {
        self.store().revoke_api_key(id, self.now()).await?;
        self.audit(actor, None, "revoke_api_key", id).await
    }

    /// Creates an API key; returns the token (to show once) and its id.
    pub async fn create_key(&self, name: &str, role: Role) -> Result<(String, String)> {
        self.create_scoped_key(name, role, None).await
    }

    /// Creates an API key, limited to `scope` (a reseller's key: its reseller account).
    pub async fn create_scoped_key(
        &self,
        name: &str,
        role: Role,
        scope: Option<&AccountId>,
    ) -> Result<(String, String)> {
        let (token, id, hash) = tokio::task::spawn_blocking(tokens::generate).await??;
        self.store()
            .insert_api_key(&custos_store::ApiKeyRecord {
                id: id.clone(),
                name: name.to_owned(),
                role: role.as_str().to_owned(),
                hash,
                created_at: self.now(),
                revoked_at: None,
                scope: scope.map(|s| s.as_str().to_owned()),
            })
            .await?;
        Ok((token, id))
    }

    /// Every API key (never a secret).
    pub async fn api_keys(&self) -> Result<Vec<custos_store::ApiKeyRecord>> {
        Ok(self.store().list_api_keys().await?)
    }

    /// Whether a reseller's key is alive: its reseller account exists and is open. A key whose
    /// reseller account is closed (terminated, or destroyed since) is dead.
    pub async fn scope_alive(&self, scope: &AccountId) -> Result<bool> {
        match self.store().get_account(scope).await {
            Ok(a) => Ok(a.closed_at.is_none()),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
