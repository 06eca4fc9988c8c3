//! API keys, roles and what each role may do.
//!
//! A request carries `Authorization: Bearer custos_<id>_<secret>_<crc>`. The stored form of a
//! key is an argon2id hash, deliberately slow to check; so after one successful check the
//! server remembers, in memory, a SHA-256 of the secret for that key id, and re-reads the key's
//! record (to see revocations) at most every [`RECHECK`]. A wrong secret never gets a cached
//! answer: it always goes to argon2.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use custos_store::{Store, StoreError, tokens};

use crate::AppState;
use crate::error::ApiError;
use crate::service::Actor;

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
            _ => return None,
        })
    }

    /// The provider's roles (a reseller's key needs a scope besides).
    pub const ALL: [Role; 5] = [
        Role::Integrator,
        Role::Reviewer,
        Role::ComplianceOfficer,
        Role::Auditor,
        Role::Admin,
    ];
}

/// What an endpoint needs.
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
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        use Permission::*;
        use Role::*;
        match self {
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
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: String,
    pub role: Role,
    /// A reseller's key: the reseller account it is limited to.
    pub scope: Option<custos_core::AccountId>,
}

impl Principal {
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if p.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
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

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

#[derive(Debug)]
struct Cached {
    secret_sha: [u8; 32],
    role: Role,
    scope: Option<custos_core::AccountId>,
    checked: Instant,
}

/// Verified keys, by id.
#[derive(Debug, Default, Clone)]
pub struct KeyCache(Arc<RwLock<HashMap<String, Cached>>>);

fn sha(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl KeyCache {
    /// Authenticates a bearer token.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        token: &str,
    ) -> Result<Principal, ApiError> {
        let t = tokens::parse(token).ok_or(ApiError::Unauthenticated)?;
        let digest = sha(t.secret);
        if let Ok(map) = self.0.read()
            && let Some(c) = map.get(t.id)
            && c.secret_sha == digest
            && c.checked.elapsed() < RECHECK
        {
            return Ok(Principal {
                key_id: t.id.to_owned(),
                role: c.role,
                scope: c.scope.clone(),
            });
        }
        let rec = match store.get_api_key(t.id).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Err(ApiError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        if rec.revoked_at.is_some() {
            if let Ok(mut map) = self.0.write() {
                map.remove(t.id);
            }
            return Err(ApiError::Unauthenticated);
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
            let ok = tokio::task::spawn_blocking(move || tokens::verify_secret(&secret, &hash))
                .await
                .map_err(|_| ApiError::Internal)?;
            if !ok {
                return Err(ApiError::Unauthenticated);
            }
        }
        let role = Role::parse(&rec.role).ok_or_else(|| {
            tracing::error!(key_id = %rec.id, "stored API key has an unknown role");
            ApiError::Internal
        })?;
        let scope = match (role, rec.scope.as_deref()) {
            (Role::Reseller, Some(s)) => Some(custos_core::AccountId::parse(s).map_err(|_| {
                tracing::error!(key_id = %rec.id, "stored API key has a malformed scope");
                ApiError::Internal
            })?),
            (Role::Reseller, None) | (_, Some(_)) => {
                tracing::error!(key_id = %rec.id, "stored API key's scope does not fit its role");
                return Err(ApiError::Internal);
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
        Ok(Principal {
            key_id: t.id.to_owned(),
            role,
            scope,
        })
    }
}

/// Middleware: authenticates the request and puts the [`Principal`] in its extensions.
pub async fn require_auth(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let p = principal_from_headers(&state, req.headers()).await?;
    req.extensions_mut().insert(p);
    Ok(next.run(req).await)
}

/// Authenticates the bearer key of a request (for routes outside `/v1`, where only some
/// requests need a key).
pub async fn principal_from_headers(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Principal, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthenticated)?;
    state
        .keys
        .authenticate(state.service.store().as_ref(), token.trim())
        .await
}

/// Middleware (after routing): a reseller's key reaches only what is in its subtree. It may
/// create customers and accounts under its reseller account, add records to its own customers,
/// read, close and report on the accounts in its subtree, and keep its CIP; nothing else. What
/// is outside its subtree is answered as not found.
pub async fn scope_guard(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(p) = req.extensions().get::<Principal>().cloned() else {
        return Ok(next.run(req).await);
    };
    let Some(scope) = p.scope.clone() else {
        return Ok(next.run(req).await);
    };
    // A key whose reseller account is closed (terminated, or destroyed since) is dead, even
    // while a cached check of it is fresh.
    match state.service.store().get_account(&scope).await {
        Ok(a) if a.closed_at.is_none() => {}
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(ApiError::Unauthenticated),
        Err(e) => return Err(e.into()),
    }
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().as_str().to_owned();
    let (mut parts, body) = req.into_parts();
    let params = axum::extract::RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| ApiError::NotFound("no such resource".into()))?;
    let id = params
        .iter()
        .find(|(k, _)| *k == "id")
        .map(|(_, v)| v.to_owned());
    let svc = &state.service;
    let forbidden = || ApiError::Forbidden("a reseller's key may not do this".into());
    let allowed = match (method.as_str(), route.as_str()) {
        ("POST", "/v1/customers" | "/v1/accounts") => true,
        ("GET", "/v1/customers/{id}")
        | (
            "POST",
            "/v1/customers/{id}/contacts"
            | "/v1/customers/{id}/payment-means"
            | "/v1/customers/{id}/documents"
            | "/v1/customers/{id}/address-changes"
            | "/v1/customers/{id}/verification-results"
            | "/v1/customers/{id}/beneficial-owner-changes"
            | "/v1/customers/{id}/resubmissions",
        ) => {
            let c = custos_core::CustomerId::parse(id.as_deref().unwrap_or(""))
                .map_err(|_| ApiError::NotFound("no customer with this id".into()))?;
            if !svc.customer_in_scope(&c, &scope).await? {
                return Err(ApiError::NotFound("no customer with this id".into()));
            }
            true
        }
        ("GET", "/v1/accounts/{id}" | "/v1/resellers/{id}/tree" | "/v1/resellers/{id}/cip")
        | ("POST", "/v1/accounts/{id}/close" | "/v1/accounts/{id}/accesses")
        | ("PUT", "/v1/accounts/{id}/profile" | "/v1/resellers/{id}/cip") => {
            let a = custos_core::AccountId::parse(id.as_deref().unwrap_or(""))
                .map_err(|_| ApiError::NotFound("no account with this id".into()))?;
            if !svc.in_subtree(&a, &scope).await? {
                return Err(ApiError::NotFound("no account with this id".into()));
            }
            true
        }
        _ => false,
    };
    if !allowed {
        return Err(forbidden());
    }
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// The purpose a reader of personal data states, from `X-Custos-Purpose`.
#[derive(Debug, Clone)]
pub struct Purpose(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Purpose {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let v = parts
            .headers
            .get("x-custos-purpose")
            .ok_or(ApiError::PurposeRequired)?
            .to_str()
            .map_err(|_| ApiError::validation("X-Custos-Purpose", "must be printable ASCII"))?
            .trim();
        if v.is_empty() {
            return Err(ApiError::PurposeRequired);
        }
        if v.len() > 200 {
            return Err(ApiError::validation(
                "X-Custos-Purpose",
                "must be at most 200 characters",
            ));
        }
        Ok(Purpose(v.to_owned()))
    }
}

/// Creates an API key; returns the token (to show once) and its id.
pub async fn create_key(
    store: &dyn Store,
    name: &str,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, String), StoreError> {
    create_scoped_key(store, name, role, None, now).await
}

/// Creates an API key, limited to `scope` (a reseller's key: its reseller account).
pub async fn create_scoped_key(
    store: &dyn Store,
    name: &str,
    role: Role,
    scope: Option<&custos_core::AccountId>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, String), StoreError> {
    let (token, id, hash) = tokio::task::spawn_blocking(tokens::generate)
        .await
        .map_err(|e| StoreError::Crypto(e.to_string()))??;
    store
        .insert_api_key(&custos_store::ApiKeyRecord {
            id: id.clone(),
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            hash,
            created_at: now,
            revoked_at: None,
            scope: scope.map(|s| s.as_str().to_owned()),
        })
        .await?;
    Ok((token, id))
}
