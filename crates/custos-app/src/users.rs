//! The console's people: users who sign in with a password (argon2id) and, for the roles that
//! decide what hurts a customer, a TOTP second factor (RFC 6238); their sessions; failed
//! sign-ins, limited per user and per address and written to the audit trail.
//!
//! A session is a random token in a cookie; the store keeps only its SHA-256. It ends after
//! [`IDLE`] without use, after [`ABSOLUTE`] in any case, at sign-out, and when its user is
//! disabled or has a role, password or second factor changed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use custos_store::crypto::SecretKey;
use custos_store::{ConsoleSession, ConsoleUser, StoreError, tokens};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::keys::{Caller, Role};
use crate::service::{Actor, App, new_id};

/// The name of the cookie that carries a session's token.
pub const SESSION_COOKIE: &str = "custos_session";

/// A session unused this long is over.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session is over this long after sign-in, however used.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// The window failed sign-ins are counted over.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins for one email within the window before its sign-ins are refused.
pub const MAX_FAILURES_PER_USER: u64 = 5;
/// Failed sign-ins from one address within the window before its sign-ins are refused.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// How long a session's last use may be stale in the store (it is written at most this often).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A console user as every door shows it: no password hash, no secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Whether a second factor (TOTP) is set.
    pub totp: bool,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What creating a user, or resetting a password, hands over once: never stored in clear.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub user: User,
    pub password: String,
    /// The TOTP secret, base32 (RFC 4648, no padding), for an authenticator app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// The same as an `otpauth://` URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_uri: Option<String>,
}

/// A signed-in person: who, as what, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub caller: Caller,
    /// The token every state-changing form carries back (derived from the session's token;
    /// never stored).
    pub csrf: String,
}

/// Whether a role must have a second factor.
pub fn totp_required(role: Role) -> bool {
    matches!(role, Role::ComplianceOfficer | Role::Admin)
}

fn view(u: &ConsoleUser) -> Result<User> {
    Ok(User {
        id: u.id.clone(),
        email: u.email.clone(),
        role: Role::parse(&u.role)
            .ok_or_else(|| Error::Internal(format!("console user {} has an unknown role", u.id)))?,
        totp: u.totp.is_some(),
        created_at: u.created_at,
        disabled_at: u.disabled_at,
    })
}

/// An email as users are known by: checked, lower case.
pub fn email(value: &str) -> Result<String> {
    let p = custos_ids::email::check(value).map_err(|why| Error::invalid("email", why))?;
    Ok(p.normalized
        .unwrap_or_else(|| value.trim().to_owned())
        .to_lowercase())
}

fn fresh_password() -> String {
    // 20 characters of [a-z0-9]: about 103 bits.
    let mut out = String::new();
    while out.len() < 20 {
        let k = SecretKey::generate();
        out.extend(
            k.expose()
                .iter()
                .filter(|b| **b < 252)
                .map(|b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(*b % 36)])),
        );
    }
    out.truncate(20);
    out
}

/// 256 random bits, base64url: a session's token, a form's.
pub fn random_token() -> String {
    data_encoding::BASE64URL_NOPAD.encode(SecretKey::generate().expose())
}

fn hex_sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn csrf_of(token: &str) -> String {
    hex_sha(&format!("custos:csrf:v1:{token}"))
}

/// The TOTP of a secret: SHA-1, 6 digits, 30-second steps, one step of skew (RFC 6238's
/// defaults, which every authenticator app uses).
fn totp(secret: &SecretKey, account: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret.expose().to_vec())
        .with_account_name(account)
        .with_issuer(Some("custos"))
        .build()
        .map_err(|e| Error::Internal(format!("TOTP: {e}")))
}

fn credentials(user: User, password: String, secret: Option<&SecretKey>) -> Result<Credentials> {
    let (totp_secret, totp_uri) = match secret {
        Some(s) => {
            let t = totp(s, &user.email)?;
            (
                Some(data_encoding::BASE32_NOPAD.encode(s.expose())),
                Some(
                    t.to_url()
                        .map_err(|e| Error::Internal(format!("TOTP: {e}")))?,
                ),
            )
        }
        None => (None, None),
    };
    Ok(Credentials {
        user,
        password,
        totp_secret,
        totp_uri,
    })
}

/// The one-time code a secret gives at `at` (for the demo's and the tests' sign-ins).
pub fn code_at(secret_base32: &str, at: DateTime<Utc>) -> Result<String> {
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret_base32.trim().as_bytes())
        .map_err(|_| Error::invalid("totp_secret", "must be base32"))?;
    let k = SecretKey::from_bytes(&bytes)
        .map_err(|_| Error::invalid("totp_secret", "must be 32 bytes"))?;
    Ok(totp(&k, "x")?
        .generate(at.timestamp().max(0) as u64)
        .to_string())
}

impl App {
    async fn user_by_email(&self, email_: &str) -> Result<ConsoleUser> {
        let e = email(email_)?;
        match self.store.console_user_by_email(&e).await {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound(_)) => {
                Err(Error::NotFound("no console user with this email".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Creates a console user with a fresh password and, where the role needs one or `totp`
    /// asks for it, a second factor; audited. The password and secret are handed back once.
    pub async fn create_user(
        &self,
        actor: &Actor,
        email_: &str,
        role: Role,
        totp: bool,
    ) -> Result<Credentials> {
        let email = email(email_)?;
        if !role.for_people() {
            return Err(Error::invalid(
                "role",
                "a reseller or a peer works through its API key, not the console",
            ));
        }
        let secret = (totp || totp_required(role)).then(SecretKey::generate);
        let pw = fresh_password();
        let hash = {
            let pw = pw.clone();
            tokio::task::spawn_blocking(move || tokens::hash_secret(&pw)).await??
        };
        let now = self.now();
        let u = ConsoleUser {
            id: new_id("usr_"),
            email,
            role: role.as_str().to_owned(),
            password_hash: hash,
            totp: secret.clone(),
            created_at: now,
            changed_at: now,
            disabled_at: None,
        };
        self.store.insert_console_user(&u).await?;
        self.audit(actor, None, "create_console_user", &u.id)
            .await?;
        credentials(view(&u)?, pw, secret.as_ref())
    }

    /// Every console user, by email.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.store.console_users().await?.iter().map(view).collect()
    }

    async fn change_user(
        &self,
        actor: &Actor,
        email_: &str,
        action: &str,
        change: impl FnOnce(&mut ConsoleUser) -> Result<()>,
    ) -> Result<ConsoleUser> {
        let mut u = self.user_by_email(email_).await?;
        change(&mut u)?;
        let now = self.now();
        u.changed_at = now;
        self.store.update_console_user(&u).await?;
        self.store
            .end_console_sessions(None, Some(&u.id), now)
            .await?;
        self.audit(actor, None, action, &u.id).await?;
        Ok(u)
    }

    /// Disables a user: its sessions end and it cannot sign in; audited.
    pub async fn disable_user(&self, actor: &Actor, email_: &str) -> Result<User> {
        let now = self.now();
        let u = self
            .change_user(actor, email_, "disable_console_user", |u| {
                if u.disabled_at.is_some() {
                    return Err(Error::Conflict(
                        "this console user is already disabled".into(),
                    ));
                }
                u.disabled_at = Some(now);
                Ok(())
            })
            .await?;
        view(&u)
    }

    /// Gives a user a fresh password (and, with `totp`, a fresh second factor); its sessions
    /// end; audited.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        email_: &str,
        totp: bool,
    ) -> Result<Credentials> {
        let pw = fresh_password();
        let hash = {
            let pw = pw.clone();
            tokio::task::spawn_blocking(move || tokens::hash_secret(&pw)).await??
        };
        let u = self
            .change_user(actor, email_, "reset_console_password", |u| {
                u.password_hash = hash;
                if totp || (u.totp.is_none() && Role::parse(&u.role).is_some_and(totp_required)) {
                    u.totp = Some(SecretKey::generate());
                }
                Ok(())
            })
            .await?;
        let secret = totp.then(|| u.totp.clone()).flatten();
        credentials(view(&u)?, pw, secret.as_ref())
    }

    /// Changes a user's role; its sessions end; audited. A role that needs a second factor
    /// gets one when the user had none: handed back once.
    pub async fn set_user_role(
        &self,
        actor: &Actor,
        email_: &str,
        role: Role,
    ) -> Result<(User, Option<String>)> {
        if !role.for_people() {
            return Err(Error::invalid(
                "role",
                "a reseller or a peer works through its API key, not the console",
            ));
        }
        let mut fresh = None;
        let u = self
            .change_user(actor, email_, "set_console_role", |u| {
                u.role = role.as_str().to_owned();
                if totp_required(role) && u.totp.is_none() {
                    let k = SecretKey::generate();
                    fresh = Some(data_encoding::BASE32_NOPAD.encode(k.expose()));
                    u.totp = Some(k);
                }
                Ok(())
            })
            .await?;
        Ok((view(&u)?, fresh))
    }

    /// Signs a person in: the address's and the email's recent failures are counted first;
    /// then the password and, where the user has one, the one-time code (each step accepted
    /// once). Returns the session's token (for the cookie) and the session. Every failure is
    /// the same [`Error::Unauthenticated`] to the caller, and is recorded and audited.
    pub async fn sign_in(
        &self,
        email_: &str,
        password: &str,
        code: Option<&str>,
        address: &str,
    ) -> Result<(String, Session)> {
        let now = self.now();
        let typed = email_.trim().to_lowercase();
        let since = now - chrono::Duration::from_std(FAILURE_WINDOW).unwrap_or_default();
        let (by_user, by_address) = self
            .store
            .login_failures_since(&typed, address, since)
            .await?;
        if by_user >= MAX_FAILURES_PER_USER || by_address >= MAX_FAILURES_PER_ADDRESS {
            self.sign_in_failed(None, &typed, address, "rate_limited")
                .await?;
            return Err(Error::RateLimited(
                "too many failed sign-ins: wait a quarter of an hour and try again".into(),
            ));
        }
        let found = match self.user_by_email(email_).await {
            Ok(u) => Some(u),
            Err(Error::NotFound(_) | Error::Validation { .. }) => None,
            Err(e) => return Err(e),
        };
        // A hash is checked whether or not the user exists, so that the time taken does not
        // tell which emails are users.
        let hash = found.as_ref().map(|u| u.password_hash.clone());
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| {
                DUMMY_HASH
                    .get_or_init(|| tokens::hash_secret(&fresh_password()).unwrap_or_default())
                    .clone()
            });
            tokens::verify_secret(&pw, &hash)
        })
        .await?;
        let Some(u) = found.filter(|_| ok) else {
            self.sign_in_failed(None, &typed, address, "password")
                .await?;
            return Err(Error::Unauthenticated);
        };
        if u.disabled_at.is_some() {
            self.sign_in_failed(Some(&u), &typed, address, "disabled")
                .await?;
            return Err(Error::Unauthenticated);
        }
        if let Some(secret) = &u.totp {
            let code = code.map(str::trim).filter(|c| !c.is_empty());
            let step = code.and_then(|c| {
                totp(secret, &u.email)
                    .ok()?
                    .check(c, now.timestamp().max(0) as u64)
            });
            let taken = match step {
                Some(s) => self.store.take_totp_step(&u.id, s as i64).await?,
                None => false,
            };
            if !taken {
                self.sign_in_failed(Some(&u), &typed, address, "second_factor")
                    .await?;
                return Err(Error::Unauthenticated);
            }
        }
        let token = random_token();
        let s = ConsoleSession {
            id: hex_sha(&token),
            user_id: u.id.clone(),
            created_at: now,
            seen_at: now,
            ended_at: None,
        };
        self.store.insert_console_session(&s).await?;
        let user = view(&u)?;
        let session = Session {
            caller: caller(&user),
            csrf: csrf_of(&token),
            user,
        };
        self.audit(&session.caller.actor(), None, "console_sign_in", address)
            .await?;
        Ok((token, session))
    }

    async fn sign_in_failed(
        &self,
        user: Option<&ConsoleUser>,
        typed: &str,
        address: &str,
        why: &str,
    ) -> Result<()> {
        let now = self.now();
        self.store.record_login_failure(typed, address, now).await?;
        tracing::warn!(
            user = user.map(|u| u.id.as_str()),
            address,
            why,
            "console sign-in refused"
        );
        let actor = Actor {
            id: user.map_or_else(|| "anonymous".to_owned(), |u| u.email.clone()),
            role: user.map_or_else(|| "none".to_owned(), |u| u.role.clone()),
        };
        self.audit(
            &actor,
            None,
            &format!("console_sign_in_refused:{why}"),
            address,
        )
        .await
    }

    /// The session a cookie's token opens, if it is alive; its last use is recorded.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let now = self.now();
        let s = match self.store.console_session(&hex_sha(token)).await {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let age = |t: DateTime<Utc>| (now - t).to_std().unwrap_or_default();
        if s.ended_at.is_some() || age(s.seen_at) > IDLE || age(s.created_at) > ABSOLUTE {
            return Ok(None);
        }
        let u = self.store.console_user(&s.user_id).await?;
        if u.disabled_at.is_some() || u.changed_at > s.created_at {
            return Ok(None);
        }
        if age(s.seen_at) > TOUCH_EVERY {
            self.store.touch_console_session(&s.id, now).await?;
        }
        let user = view(&u)?;
        Ok(Some(Session {
            caller: caller(&user),
            csrf: csrf_of(token),
            user,
        }))
    }

    /// Ends the session a token opens; audited.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        if let Some(s) = self.session(token).await? {
            self.store
                .end_console_sessions(Some(&hex_sha(token)), None, self.now())
                .await?;
            self.audit(&s.caller.actor(), None, "console_sign_out", &s.user.id)
                .await?;
        }
        Ok(())
    }
}

/// A claim on a queue item lapses after this long.
pub const CLAIM_LAPSES: Duration = Duration::from_secs(8 * 60 * 60);

impl App {
    fn claims_lapsed_before(&self) -> DateTime<Utc> {
        self.now() - chrono::Duration::from_std(CLAIM_LAPSES).unwrap_or_default()
    }

    /// Claims a queue item (an account, a screening case) so that no one else works it;
    /// refused while another person's claim holds.
    pub async fn claim(&self, caller: &Caller, item: &str) -> Result<()> {
        caller.require(crate::keys::Permission::Review)?;
        self.claimable(item).await?;
        let holder = self
            .store
            .claim_item(
                item,
                &caller.key_id,
                self.now(),
                self.claims_lapsed_before(),
            )
            .await?;
        if holder != caller.key_id {
            return Err(Error::Conflict(format!(
                "{holder} is working on this already"
            )));
        }
        Ok(())
    }

    /// Gives up a claim on a queue item: one's own, or (a compliance officer, an admin)
    /// another's, as when its holder left.
    pub async fn release_claim(&self, caller: &Caller, item: &str) -> Result<()> {
        caller.require(crate::keys::Permission::Review)?;
        let holder = self
            .claims(&[item.to_owned()])
            .await?
            .remove(item)
            .ok_or_else(|| Error::NotFound(format!("a claim on {item}")))?;
        if holder != caller.key_id && !matches!(caller.role, Role::ComplianceOfficer | Role::Admin)
        {
            return Err(Error::Forbidden(format!(
                "{holder} holds this claim; a compliance officer may release it"
            )));
        }
        Ok(self.store.release_claim(item, &holder).await?)
    }

    /// Who holds a live claim on each of these items.
    pub async fn claims(
        &self,
        items: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        Ok(self
            .store
            .claims(items, self.claims_lapsed_before())
            .await?
            .into_iter()
            .map(|(i, e, _)| (i, e))
            .collect())
    }

    /// An item that can be claimed: an account, or a screening case, that exists.
    async fn claimable(&self, item: &str) -> Result<()> {
        if let Ok(a) = custos_core::AccountId::parse(item) {
            self.store.get_account(&a).await?;
            return Ok(());
        }
        match self.store.screening_case(item).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(Error::NotFound(format!("queue item {item}"))),
            Err(e) => Err(e.into()),
        }
    }
}

/// A person acts as the caller of an operation, named by email (never a key).
fn caller(u: &User) -> Caller {
    Caller {
        key_id: u.email.clone(),
        role: u.role,
        scope: None,
    }
}

/// An argon2id hash of a password no one has, checked when the email is no user's.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
