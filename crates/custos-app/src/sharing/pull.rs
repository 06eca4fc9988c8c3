//! Taking in what peers share: a TAXII 2.1 client that pulls a peer's collection into a local
//! one (continuing where the last pull ended), and the matching of the indicators taken in
//! (pulled, or added by a peer allowed to write) against the provider's own ledger. An
//! indicator of an address one of the provider's accounts used while it was valid opens a
//! `peer_signal` case on that account, to review: nothing is decided by a peer's word.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use custos_core::AccountId;
use custos_core::abuse::{AbuseCase, CaseKind, Category};
use custos_store::{ComplianceRecord, SharedQuery, StoreError, VersionMatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{NewCollection, shared_object};
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{Actor, App};

/// The kind of compliance record a pulled source is kept as.
pub const PULL_KIND: &str = "sharing_pull";
/// The record of how far a collection's objects were matched.
const MATCHED_KIND: &str = "sharing_matched";
/// Objects asked for a page, and the most pages one pull follows.
const PAGE: u32 = 100;
const MAX_PAGES: usize = 1000;
/// The largest page a peer may answer.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;
/// How far back a peer's indicator is looked for in the ledger.
const LOOKBACK_DAYS: i64 = 90;
/// The most accounts one indicator opens cases on.
const MAX_SIGNALS: usize = 20;

/// A peer's collection this provider pulls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PullSource {
    pub id: String,
    /// The peer's API root (`https://peer.example/taxii2/api1/`).
    pub from: String,
    /// The peer's collection id.
    pub collection: String,
    /// The local collection its objects are kept in.
    pub local_collection: String,
    /// The `X-TAXII-Date-Added-Last` of the last pull: the next asks for what came after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pull_at: Option<DateTime<Utc>>,
    /// Object versions taken in, over every pull.
    #[serde(default)]
    pub objects_taken: u64,
}

/// What a peer's server is asked with: a user name and its secret (a peer's key, or a
/// password). Never printed.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What a pull took in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pulled {
    pub source: PullSource,
    pub pages: usize,
    /// Objects the peer sent.
    pub objects: usize,
    /// New object versions kept (the rest were held already, or not STIX 2.1).
    pub added: usize,
    /// Objects that were not STIX 2.1 objects, with why (at most 20 listed).
    pub refused: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
    /// Whether the indicators were matched against the ledger now (a command beside the
    /// running server leaves that to the server).
    pub matched: bool,
    /// The `peer_signal` cases opened.
    pub signals: Vec<AbuseCase>,
}

fn invalid(field: &str, why: impl Into<String>) -> Error {
    Error::invalid(field, why.into())
}

/// The address (or network) a STIX pattern matches, when it is one comparison of an
/// `ipv4-addr` or `ipv6-addr` value (`=` or `ISSUBSET`).
pub fn pattern_address(pattern: &str) -> Option<String> {
    let inner = pattern.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let (lhs, rhs) = inner
        .split_once(" = ")
        .or_else(|| inner.split_once(" ISSUBSET "))?;
    if !matches!(lhs.trim(), "ipv4-addr:value" | "ipv6-addr:value") {
        return None;
    }
    let v = rhs.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (v, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    // A network wider than a /24 (IPv6: a /48) names too many others' addresses to look for.
    let narrowest = if ip.is_ipv4() { 32 } else { 128 };
    let widest = if ip.is_ipv4() { 24 } else { 48 };
    Some(match len {
        Some(l) if (widest..=narrowest).contains(&l) => format!("{ip}/{l}"),
        Some(_) => return None,
        None => ip.to_string(),
    })
}

/// The wallet a STIX pattern matches, when it is one comparison of a `cryptocurrency-wallet`
/// value: the address, and the chain its form tells.
pub fn pattern_wallet(pattern: &str) -> Option<(String, String)> {
    let inner = pattern.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let (lhs, rhs) = inner.split_once(" = ")?;
    if lhs.trim() != "cryptocurrency-wallet:value" {
        return None;
    }
    let v = rhs.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let p = custos_ids::wallet::check(v).ok()?;
    let chain = p.details["chain"].as_str()?.to_owned();
    // As the chain writes it (bech32 in lowercase), which is how customers' wallets are kept.
    Some((chain, p.normalized?))
}

/// The names a customer may have given a wallet's chain (`btc` for bitcoin, the EVM chains
/// for an Ethereum-form address).
fn chain_names(chain: &str) -> &'static [&'static str] {
    match chain {
        "bitcoin" => &["bitcoin", "btc"],
        "ethereum" => &[
            "ethereum",
            "eth",
            "polygon",
            "bsc",
            "arbitrum",
            "optimism",
            "base",
            "avalanche",
        ],
        "litecoin" => &["litecoin", "ltc"],
        "tron" => &["tron", "trx"],
        "solana" => &["solana", "sol"],
        "xrp" => &["xrp", "ripple"],
        _ => &[],
    }
}

fn time(o: &Value, field: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(o.get(field)?.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The category a peer's labels name, if one of custos's.
fn category(o: &Value) -> Category {
    o.get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| serde_json::from_value::<Category>(l.clone()).ok())
        .next()
        .unwrap_or(Category::Other)
}

/// A peer's URL as custos calls it: http or https, no credentials in it, and plain http only
/// to this machine (anything else crosses a network in clear).
pub(crate) fn peer_url(field: &str, url: &str) -> Result<reqwest::Url> {
    let u = reqwest::Url::parse(url.trim()).map_err(|_| invalid(field, "is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(invalid(field, "is an http or https URL"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(invalid(
            field,
            "holds credentials: give them apart (--user, the secret in the environment)",
        ));
    }
    let host = u.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    if u.scheme() == "http" && !loopback {
        return Err(invalid(field, "is https (plain http only to this machine)"));
    }
    Ok(u)
}

/// Reads a peer's answer up to `max` bytes, refusing more without reading it all.
pub(crate) async fn capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>> {
    let mut out = vec![];
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|_| invalid("from", "the peer's answer broke off"))?
    {
        if out.len() + chunk.len() > max {
            return Err(invalid(
                "from",
                format!(
                    "the peer's answer is larger than {} MiB",
                    max / (1024 * 1024)
                ),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// One matching at a time in a process (the server's schedule and a pull may both start one).
static MATCHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl App {
    /// The sources pulled, oldest first.
    pub async fn pull_sources(&self) -> Result<Vec<PullSource>> {
        self.store
            .compliance_records(PULL_KIND, None)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("a stored pull source: {e}")))
            })
            .collect()
    }

    async fn keep_source(&self, s: &PullSource) -> Result<()> {
        Ok(self
            .store
            .put_compliance_record(
                &ComplianceRecord {
                    id: s.id.clone(),
                    kind: PULL_KIND.into(),
                    subject: Some(s.local_collection.clone()),
                    created_at: s.last_pull_at.unwrap_or_else(|| self.now()),
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(s)
                        .map_err(|e| Error::Internal(format!("a pull source: {e}")))?,
                },
                &[],
            )
            .await?)
    }

    /// Pulls a peer's collection (`from`: its API root) into a local collection, from where
    /// the last pull of it ended; then matches the indicators taken in, when this process
    /// holds the ledger. Audited.
    pub async fn pull_collection(
        &self,
        caller: &Caller,
        from: &str,
        collection: &str,
        creds: &Credentials,
    ) -> Result<Pulled> {
        caller.require(Permission::Share)?;
        let actor = caller.actor();
        let mut root = peer_url("from", from)?;
        if !root.path().ends_with('/') {
            root.set_path(&format!("{}/", root.path()));
        }
        let collection = collection.trim();
        if collection.is_empty()
            || collection.len() > 200
            || !collection
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(invalid(
                "collection",
                "is a collection id (letters, digits, `-`)",
            ));
        }
        let key = format!("{root}|{collection}");
        let id = format!(
            "pull_{}",
            &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()))[..20]
        );
        let mut source = match self.pull_sources().await?.into_iter().find(|s| s.id == id) {
            Some(s) => s,
            None => {
                // Its title is where it comes from, whole (unique), or cut with its id's end.
                let mut title = format!("From {root}collections/{collection}/");
                if title.chars().count() > 200 {
                    title = format!("{}… ({id})", title.chars().take(170).collect::<String>());
                }
                let local = self
                    .create_collection_with_id(
                        caller,
                        uuid::Uuid::new_v4().to_string(),
                        NewCollection {
                            title,
                            description: Some(format!(
                                "Pulled from {root}collections/{collection}/"
                            )),
                            readers: vec![],
                            writers: vec![],
                        },
                    )
                    .await?;
                let s = PullSource {
                    id,
                    from: root.to_string(),
                    collection: collection.to_owned(),
                    local_collection: local.id,
                    added_after: None,
                    last_pull_at: None,
                    objects_taken: 0,
                };
                // Kept at once: a first pull that fails finds its collection the next time.
                self.keep_source(&s).await?;
                s
            }
        };
        self.audit(
            &actor,
            Some("taking in a peer's collection"),
            "sharing_pull",
            &source.id,
        )
        .await?;
        let url = root
            .join(&format!("collections/{collection}/objects/"))
            .map_err(|_| invalid("collection", "cannot be put in a URL"))?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Internal(format!("an HTTP client: {e}")))?;
        let mut out = Pulled {
            source: source.clone(),
            pages: 0,
            objects: 0,
            added: 0,
            refused: 0,
            refusals: vec![],
            matched: false,
            signals: vec![],
        };
        let mut next: Option<String> = None;
        let mut last_added = source.added_after.clone();
        // Where a page ends when a peer pages without `next`: the next asks after it.
        let mut after = source.added_after.clone();
        loop {
            if out.pages >= MAX_PAGES {
                break;
            }
            let mut q: Vec<(&str, String)> = vec![("limit", PAGE.to_string())];
            if let Some(a) = &after {
                q.push(("added_after", a.clone()));
            }
            if let Some(n) = &next {
                q.push(("next", n.clone()));
            }
            let resp = client
                .get(url.clone())
                .query(&q)
                .header("accept", "application/taxii+json;version=2.1")
                .basic_auth(&creds.user, Some(&creds.secret))
                .send()
                .await
                .map_err(|e| {
                    invalid(
                        "from",
                        format!(
                            "cannot reach the peer ({})",
                            if e.is_timeout() {
                                "timed out"
                            } else if e.is_connect() {
                                "no connection"
                            } else {
                                "request failed"
                            }
                        ),
                    )
                })?;
            let status = resp.status().as_u16();
            match status {
                200 => {}
                401 | 403 => {
                    return Err(invalid(
                        "credentials",
                        format!("the peer refused them ({status})"),
                    ));
                }
                404 => {
                    return Err(invalid(
                        "collection",
                        "the peer has no such collection, or does not give it to these credentials",
                    ));
                }
                s => return Err(invalid("from", format!("the peer answered {s}"))),
            }
            if let Some(v) = resp
                .headers()
                .get("x-taxii-date-added-last")
                .and_then(|v| v.to_str().ok())
                && DateTime::parse_from_rfc3339(v.trim()).is_ok()
            {
                last_added = Some(v.trim().to_owned());
            }
            let page_last = last_added.clone();
            let body = capped(resp, MAX_PAGE_BYTES).await?;
            #[derive(Deserialize)]
            struct Envelope {
                #[serde(default)]
                more: bool,
                #[serde(default)]
                next: Option<String>,
                #[serde(default)]
                objects: Vec<Value>,
            }
            let env: Envelope = serde_json::from_slice(&body)
                .map_err(|_| invalid("from", "the peer's answer is not a TAXII envelope"))?;
            out.pages += 1;
            out.objects += env.objects.len();
            let mut rows = vec![];
            for o in &env.objects {
                match shared_object(o) {
                    Ok(r) => rows.push(r),
                    Err(why) => {
                        out.refused += 1;
                        if out.refusals.len() < 20 {
                            let id = o.get("id").and_then(Value::as_str).unwrap_or("?");
                            out.refusals.push(format!(
                                "{}: {why}",
                                id.chars().take(120).collect::<String>()
                            ));
                        }
                    }
                }
            }
            let added = self
                .store
                .add_shared_objects(&source.local_collection, &rows, self.now())
                .await?;
            out.added += added.iter().filter(|a| a.is_some()).count();
            match (env.more, env.next) {
                (true, Some(n)) if !n.is_empty() => next = Some(n),
                // More, and no `next`: the page's last time is where the next one starts.
                (true, _)
                    if page_last.is_some() && page_last != after && !env.objects.is_empty() =>
                {
                    next = None;
                    after = page_last;
                }
                _ => break,
            }
        }
        source.added_after = last_added;
        source.last_pull_at = Some(self.now());
        source.objects_taken += out.added as u64;
        self.keep_source(&source).await?;
        out.source = source;
        if self.ledger().is_some() {
            out.signals = self.match_peer_indicators(&actor).await?;
            out.matched = true;
        }
        Ok(out)
    }

    /// Matches the indicators taken in since the last match (pulled, or added by a peer that
    /// may write) against the ledger: each address one of the provider's accounts used while
    /// the indicator was valid opens a `peer_signal` case on that account, once. Returns the
    /// cases opened. Needs the ledger (the server runs it).
    pub async fn match_peer_indicators(&self, actor: &Actor) -> Result<Vec<AbuseCase>> {
        let _one = MATCHING.lock().await;
        // This provider's own objects (shared into a collection peers write to) are not signals.
        let own = self.own_identity_id().await?;
        let mut collections: Vec<String> = self
            .pull_sources()
            .await?
            .into_iter()
            .map(|s| s.local_collection)
            .collect();
        for c in self.collections().await? {
            if !c.writers.is_empty() && !collections.contains(&c.id) {
                collections.push(c.id);
            }
        }
        let mut opened = vec![];
        for col in collections {
            let record = format!("sharing_matched_{col}");
            let through = match self.store.compliance_record(&record).await {
                Ok(r) => r.body.get("through").and_then(Value::as_i64).unwrap_or(0),
                Err(StoreError::NotFound(_)) => 0,
                Err(e) => return Err(e.into()),
            };
            let mut after = DateTime::from_timestamp_micros(through);
            loop {
                let rows = self
                    .store
                    .shared_objects(&SharedQuery {
                        collection: col.clone(),
                        added_after: after,
                        ids: vec![],
                        types: vec!["indicator".into()],
                        spec_versions: vec![],
                        versions: vec![VersionMatch::All],
                        limit: 500,
                        with_body: true,
                    })
                    .await?;
                let Some(last) = rows.last().map(|r| r.date_added) else {
                    break;
                };
                for r in &rows {
                    let Ok(o) = serde_json::from_slice::<Value>(&r.body) else {
                        continue;
                    };
                    if own.is_some()
                        && o.get("created_by_ref").and_then(Value::as_str) == own.as_deref()
                    {
                        continue;
                    }
                    match self.signal_cases(actor, &col, &o).await {
                        Ok(c) => opened.extend(c),
                        // One indicator the ledger cannot be asked about does not hold up the
                        // rest: it is skipped, and said.
                        Err(e @ Error::Validation { .. }) => tracing::warn!(
                            collection = %col,
                            error = %e,
                            "a peer's indicator cannot be matched; skipped"
                        ),
                        Err(e) => return Err(e),
                    }
                }
                after = Some(last);
                self.store
                    .put_compliance_record(
                        &ComplianceRecord {
                            id: record.clone(),
                            kind: MATCHED_KIND.into(),
                            subject: Some(col.clone()),
                            created_at: self.now(),
                            due_at: None,
                            closed_at: None,
                            body: serde_json::json!({"through": last.timestamp_micros()}),
                        },
                        &[],
                    )
                    .await?;
            }
        }
        Ok(opened)
    }

    /// The `peer_signal` cases one indicator opens.
    async fn signal_cases(&self, actor: &Actor, col: &str, o: &Value) -> Result<Vec<AbuseCase>> {
        let (Some(id), Some(pattern)) = (
            o.get("id").and_then(Value::as_str),
            o.get("pattern").and_then(Value::as_str),
        ) else {
            return Ok(vec![]);
        };
        // A withdrawn indicator is a peer saying to drop it, not to look.
        if o.get("revoked").and_then(Value::as_bool) == Some(true) {
            return Ok(vec![]);
        }
        let Some(net) = pattern_address(pattern) else {
            return match pattern_wallet(pattern) {
                Some(w) => self.wallet_signals(actor, col, o, id, w).await,
                None => Ok(vec![]),
            };
        };
        let now = self.now();
        let from = time(o, "valid_from")
            .unwrap_or(now - Duration::days(LOOKBACK_DAYS))
            .max(now - Duration::days(LOOKBACK_DAYS));
        let to = time(o, "valid_until").unwrap_or(now).min(now);
        if from > to {
            return Ok(vec![]);
        }
        let found = self
            .network_accounts(
                actor,
                &format!("peer signal {id}"),
                &net,
                Some(from),
                Some(to),
                None,
            )
            .await?;
        if found.accounts.is_empty() {
            return Ok(vec![]);
        }
        let existing = self.abuse_cases(None).await?;
        let mut out = vec![];
        for u in found.accounts.iter().take(MAX_SIGNALS) {
            let Ok(aid) = AccountId::parse(&u.account_id) else {
                continue;
            };
            let Ok(a) = self.store.get_account(&aid).await else {
                continue;
            };
            if existing.iter().any(|c| {
                c.kind == CaseKind::PeerSignal
                    && c.report_id == id
                    && c.account_id.as_ref() == Some(&a.id)
            }) {
                continue;
            }
            let evidence = serde_json::json!({
                "report_id": id,
                "reported_by": format!("collection {col}"),
                "category": category(o),
                "ip": net,
                "at": u.first_seen,
                "evidence": format!("A peer's indicator ({pattern}), valid from {from} to {to}; the account used the address {} time(s) from {} to {}.", u.count, u.first_seen, u.last_seen),
                "references": [id],
                "indicator": o,
                "trace": {"account_id": u.account_id, "count": u.count,
                          "first_seen": u.first_seen, "last_seen": u.last_seen},
            });
            let c = self
                .open_signal(
                    actor,
                    super::Signal {
                        report_id: id.to_owned(),
                        reported_by: format!("collection {col}"),
                        category: category(o),
                        account: Some((a.id.clone(), a.customer_id.clone())),
                        customer: None,
                        occurred_at: u.first_seen,
                        evidence,
                    },
                )
                .await?;
            out.push(c);
        }
        Ok(out)
    }
}

impl App {
    /// The `peer_signal` cases a peer's wallet indicator opens: one on each customer who gave
    /// that wallet as a means of payment (the blind index, by every name of its chain), once.
    async fn wallet_signals(
        &self,
        actor: &Actor,
        col: &str,
        o: &Value,
        id: &str,
        (chain, address): (String, String),
    ) -> Result<Vec<AbuseCase>> {
        // No longer valid: nothing to look for.
        let now = self.now();
        if time(o, "valid_until").is_some_and(|t| t < now) {
            return Ok(vec![]);
        }
        self.audit(
            actor,
            Some(&format!("peer signal {id}")),
            "search_customers",
            "wallet",
        )
        .await?;
        let mut customers = vec![];
        for name in chain_names(&chain) {
            for c in self
                .store
                .find_customers(
                    custos_store::blind::IndexKind::Wallet,
                    &format!("{name}:{address}"),
                )
                .await?
            {
                if !customers.contains(&c) {
                    customers.push(c);
                }
            }
        }
        if customers.is_empty() {
            return Ok(vec![]);
        }
        let existing = self.abuse_cases(None).await?;
        let at = time(o, "valid_from").unwrap_or(now);
        let mut out = vec![];
        for customer in customers.into_iter().take(MAX_SIGNALS) {
            if existing.iter().any(|c| {
                c.kind == CaseKind::PeerSignal
                    && c.report_id == id
                    && c.customer_id.as_ref() == Some(&customer)
            }) {
                continue;
            }
            let evidence = serde_json::json!({
                "report_id": id,
                "reported_by": format!("collection {col}"),
                "category": category(o),
                "at": at,
                "evidence": format!("A peer's indicator of a {chain} wallet; the customer gave this wallet as a means of payment."),
                "references": [id],
                "indicator": o,
            });
            out.push(
                self.open_signal(
                    actor,
                    super::Signal {
                        report_id: id.to_owned(),
                        reported_by: format!("collection {col}"),
                        category: category(o),
                        account: None,
                        customer: Some(customer),
                        occurred_at: at,
                        evidence,
                    },
                )
                .await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_called_by_https_without_credentials_in_the_url() {
        assert!(peer_url("from", "https://peer.example/taxii2/").is_ok());
        assert!(peer_url("from", "http://127.0.0.1:8080/").is_ok());
        assert!(peer_url("from", "http://[::1]/").is_ok());
        for bad in [
            "http://peer.example/",
            "https://user:secret@peer.example/",
            "mailto:abuse@peer.example",
            "not a url",
        ] {
            assert!(peer_url("from", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pattern_of_one_wallet_is_read_with_its_chain() {
        assert_eq!(
            pattern_wallet(
                "[cryptocurrency-wallet:value = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']"
            ),
            Some((
                "bitcoin".into(),
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".into()
            ))
        );
        // Written as the chain writes it: bech32 in lowercase, as customers' wallets are kept.
        assert_eq!(
            pattern_wallet(
                "[cryptocurrency-wallet:value = 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4']"
            )
            .map(|w| w.1)
            .as_deref(),
            Some("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
        );
        for other in [
            "[cryptocurrency-wallet:value = 'not a wallet']",
            "[cryptocurrency-wallet:chain = 'bitcoin']",
            "[ipv4-addr:value = '198.51.100.9']",
        ] {
            assert_eq!(pattern_wallet(other), None, "{other}");
        }
        assert!(chain_names("ethereum").contains(&"polygon"));
    }

    #[test]
    fn a_pattern_of_one_address_or_network_is_read() {
        assert_eq!(
            pattern_address("[ipv4-addr:value = '198.51.100.9']").as_deref(),
            Some("198.51.100.9")
        );
        assert_eq!(
            pattern_address("[ipv4-addr:value ISSUBSET '198.51.100.0/24']").as_deref(),
            Some("198.51.100.0/24")
        );
        assert_eq!(
            pattern_address("[ipv6-addr:value = '2001:db8::1']").as_deref(),
            Some("2001:db8::1")
        );
        for other in [
            // Wider than a /24 (a /48): too many others' addresses; not a prefix at all.
            "[ipv4-addr:value ISSUBSET '198.51.0.0/16']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/40']",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            "[domain-name:value = 'evil.example']",
            "[ipv4-addr:value = '198.51.100.9'] OR [ipv4-addr:value = '198.51.100.10']",
            "[ipv4-addr:value = 'not an address']",
            "ipv4-addr:value = '198.51.100.9'",
        ] {
            assert_eq!(pattern_address(other), None, "{other}");
        }
    }
}
