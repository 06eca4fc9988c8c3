//! Authentication on each request, reseller scope, and the purpose header. Keys, roles and
//! permissions are the application's (`custos_app::keys`); this module reads them off HTTP.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

pub use custos_app::keys::{Caller, Permission, Role};

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal(pub Caller);

impl std::ops::Deref for Principal {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl Principal {
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        Ok(self.0.require(p)?)
    }

    /// The reseller account a list is to be narrowed to: for a reseller's key, its own
    /// account, or the one asked for (`reseller_account_id`) when that is in its subtree (else
    /// 404, as for any account outside it); for every other key, the one asked for, if any.
    pub async fn within(
        &self,
        svc: &custos_app::App,
        asked: Option<custos_core::AccountId>,
    ) -> Result<Option<custos_core::AccountId>, ApiError> {
        let Some(scope) = &self.scope else {
            return Ok(asked);
        };
        match asked {
            None => Ok(Some(scope.clone())),
            Some(a) if svc.in_subtree(&a, scope).await? => Ok(Some(a)),
            Some(_) => Err(ApiError::NotFound("no account with this id".into())),
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
    Ok(Principal(
        state
            .keys
            .authenticate(&state.service, token.trim())
            .await?,
    ))
}

/// Middleware of a route: the caller's role must allow `permission` (the route declares it,
/// see [`crate::router`]).
pub async fn require(
    State(permission): State<Permission>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let p = req
        .extensions()
        .get::<Principal>()
        .ok_or(ApiError::Unauthenticated)?;
    p.require(permission)?;
    Ok(next.run(req).await)
}

/// What a reseller's key may do on a group of routes; the group declares it (see
/// [`crate::router`]). A reseller's key reaches only what is in its subtree: what is outside is
/// answered as not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResellerAccess {
    /// Nothing: the provider's own routes.
    None,
    /// Creating customers and accounts (under its reseller account).
    Create,
    /// The customer `{id}` must be one of its own.
    OwnCustomer,
    /// The account `{id}` must be in its subtree.
    Subtree,
    /// A list: the route narrows it to the key's subtree ([`Principal::within`]).
    List,
}

/// Middleware (after routing) of a group of routes: a reseller's key is let through as the
/// group's [`ResellerAccess`] says; every other key is let through (its role is checked by the
/// route's permission, [`require`]).
pub async fn reseller_access(
    State((state, access)): State<(AppState, ResellerAccess)>,
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
    if !state.service.scope_alive(&scope).await? {
        return Err(ApiError::Unauthenticated);
    }
    let (mut parts, body) = req.into_parts();
    let params = axum::extract::RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| ApiError::NotFound("no such resource".into()))?;
    let id = params
        .iter()
        .find(|(k, _)| *k == "id")
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let svc = &state.service;
    match access {
        ResellerAccess::None => {
            return Err(ApiError::Forbidden(
                "a reseller's key may not do this".into(),
            ));
        }
        ResellerAccess::Create | ResellerAccess::List => {}
        ResellerAccess::OwnCustomer => {
            let c = custos_core::CustomerId::parse(&id)
                .map_err(|_| ApiError::NotFound("no customer with this id".into()))?;
            if !svc.customer_in_scope(&c, &scope).await? {
                return Err(ApiError::NotFound("no customer with this id".into()));
            }
        }
        ResellerAccess::Subtree => {
            let a = custos_core::AccountId::parse(&id)
                .map_err(|_| ApiError::NotFound("no account with this id".into()))?;
            if !svc.in_subtree(&a, &scope).await? {
                return Err(ApiError::NotFound("no account with this id".into()));
            }
        }
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
