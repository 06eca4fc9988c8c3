//! The investigators' questions of the access ledger, asked by any door (the API, `custos
//! ledger query`, `custos ledger export`, the console): each is a read of personal data, so it
//! needs a purpose and is written to the audit trail before anything is read.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use custos_ledger::Ledger;
use custos_ledger::index::Net;
use custos_ledger::query::{AccountUse, Found, account_events_in_time, net_accounts, prove};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::{Actor, App};

/// Which checkpoint proofs are against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofAt {
    Latest,
    /// The checkpoint of this tree size.
    Size(u64),
}

impl ProofAt {
    /// `latest` or a tree size.
    pub fn parse(s: &str) -> Result<ProofAt> {
        match s {
            "latest" => Ok(ProofAt::Latest),
            s => s
                .parse()
                .map(ProofAt::Size)
                .map_err(|_| Error::invalid("proof", "is `latest` or a tree size")),
        }
    }
}

/// A question about an account's events.
#[derive(Debug, Clone)]
pub struct EventsQuery {
    /// Default: a day before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Default: now.
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    pub proof: Option<ProofAt>,
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
}

/// The cursor of a page of an account's events that ends at this event.
fn events_cursor(f: &Found) -> String {
    let key = format!(
        "{}@{}",
        f.event
            .time
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        f.index
    );
    crate::browse::List::AccountEvents.cursor(&key)
}

fn events_after(cursor: &str) -> Result<custos_ledger::query::After> {
    let key = crate::browse::List::AccountEvents.key(cursor)?;
    let bad = || Error::invalid("starting_after", "is not a cursor of this list");
    let (time, index) = key.split_once('@').ok_or_else(bad)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| bad())?;
    Ok((time.with_timezone(&Utc), index.parse().map_err(|_| bad())?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountEvents {
    pub account_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// In time order (events of one time in log order).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Found>,
    /// More events follow: send `next_cursor` as `starting_after` for them.
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Deprecated (until the next release): `has_more`.
    pub truncated: bool,
    /// The signed checkpoint the proofs are against, when proofs were asked for at the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetAccounts {
    /// The network asked about, masked to its prefix.
    pub network: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Busiest first.
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<AccountUse>,
    /// The signed checkpoint the proofs are against, when proofs were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    default: Duration,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - default);
    if from > to {
        return Err(Error::invalid("from", "is after `to`"));
    }
    Ok((from, to))
}

/// The tree size proofs are to be against.
fn proof_size(l: &Ledger, proof: Option<ProofAt>) -> Result<Option<u64>> {
    match proof {
        None => Ok(None),
        Some(ProofAt::Latest) => Ok(Some(l.access.size())),
        Some(ProofAt::Size(n)) if n == 0 || n > l.access.size() => Err(Error::invalid(
            "proof",
            "is not the size of a checkpoint of this log",
        )),
        Some(ProofAt::Size(n)) => Ok(Some(n)),
    }
}

/// The signed checkpoint of the log, when it is the one of `size`.
fn latest_checkpoint(l: &Ledger, size: u64) -> Option<String> {
    (size == l.access.size()).then(|| String::from_utf8_lossy(&l.access.checkpoint()).into_owned())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, custos_ledger::LedgerError> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

impl App {
    /// The ledger, for a read of personal data: the purpose is checked and the read audited
    /// first; if the audit record cannot be written, nothing is read.
    pub async fn audited_ledger(
        &self,
        actor: &Actor,
        purpose: &str,
        action: &str,
        record: &str,
    ) -> Result<Arc<Ledger>> {
        let l = self.ledger_or_conflict()?;
        if purpose.trim().is_empty() {
            return Err(Error::invalid(
                "purpose",
                "must say why the events are read",
            ));
        }
        self.audit(actor, Some(purpose), action, record).await?;
        Ok(l)
    }

    /// An entry bundle of a log (`tile/entries/N`), as the log serves it: it holds addresses
    /// and account ids, so reading it is audited first.
    pub async fn entry_bundle(
        &self,
        actor: &Actor,
        which: custos_ledger::Which,
        n: u64,
        width: u64,
    ) -> Result<Vec<u8>> {
        let l = self
            .audited_ledger(
                actor,
                "ledger audit",
                "read_entry_bundle",
                &format!("{}/{n}", which.as_str()),
            )
            .await?;
        blocking(move || l.log(which).entry_bundle(n, width)).await
    }

    /// The events of an account in a time range (kept after the account closes), with
    /// inclusion proofs when asked.
    pub async fn account_events(
        &self,
        actor: &Actor,
        purpose: &str,
        account: &str,
        q: EventsQuery,
    ) -> Result<AccountEvents> {
        if account.is_empty() || account.len() > 256 || account.chars().any(char::is_control) {
            return Err(Error::invalid("id", "is not an account id"));
        }
        let (from, to) = range(q.from, q.to, self.now(), Duration::hours(24))?;
        let after = q.starting_after.as_deref().map(events_after).transpose()?;
        let l = self.ledger_or_conflict()?;
        let at = proof_size(&l, q.proof)?;
        let l = self
            .audited_ledger(actor, purpose, "query_account_events", account)
            .await?;
        let (id, ll, limit) = (account.to_owned(), l.clone(), q.limit);
        let (mut events, has_more) =
            blocking(move || account_events_in_time(&ll.access, &id, from, to, after, limit))
                .await?;
        let mut checkpoint = None;
        if let Some(size) = at {
            let ll = l.clone();
            events = blocking(move || {
                events
                    .into_iter()
                    .map(|mut f| {
                        if f.index < size {
                            f.proof = Some(prove(&ll.access, f.index, size)?);
                        }
                        Ok(f)
                    })
                    .collect()
            })
            .await?;
            checkpoint = latest_checkpoint(&l, size);
        }
        let next_cursor = has_more.then(|| events.last().map(events_cursor)).flatten();
        Ok(AccountEvents {
            account_id: account.to_owned(),
            from,
            to,
            events,
            has_more,
            next_cursor,
            truncated: has_more,
            checkpoint,
        })
    }

    /// The accounts that used an address or network (`ADDR/LEN`) in a time range (default:
    /// 30 days before `to`), with counts and first and last seen.
    pub async fn network_accounts(
        &self,
        actor: &Actor,
        purpose: &str,
        network: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        proof: Option<ProofAt>,
    ) -> Result<NetAccounts> {
        let net = Net::parse(network).ok_or_else(|| {
            Error::invalid("ip_or_cidr", "is not an IP address or network (ADDR/LEN)")
        })?;
        let (from, to) = range(from, to, self.now(), Duration::days(30))?;
        let at = proof_size(&*self.ledger_or_conflict()?, proof)?;
        let l = self
            .audited_ledger(actor, purpose, "query_ip_accounts", &net.to_string())
            .await?;
        let (ll, network) = (l.clone(), net.to_string());
        let accounts = blocking(move || {
            let mut uses = net_accounts(&ll.access, &net, from, to)?;
            if let Some(size) = at {
                for u in &mut uses {
                    if u.first_index < size {
                        u.first_proof = Some(prove(&ll.access, u.first_index, size)?);
                    }
                    if u.last_index < size {
                        u.last_proof = Some(prove(&ll.access, u.last_index, size)?);
                    }
                }
            }
            Ok(uses)
        })
        .await?;
        Ok(NetAccounts {
            network,
            from,
            to,
            accounts,
            checkpoint: at.and_then(|size| latest_checkpoint(&l, size)),
        })
    }
}

/// An account's events as the console shows them: each with whether its inclusion proof was
/// checked, here, against the latest signed checkpoint.
#[derive(Debug)]
pub struct ProvenEvents {
    pub events: AccountEvents,
    /// In the order of `events.events`.
    pub proven: Vec<bool>,
}

impl App {
    /// An account's access events of the last `days` days (up to `limit`), read for a purpose
    /// (audited), each proven in the log: its inclusion proof checked against the latest
    /// signed checkpoint (signature, size and audit path).
    pub async fn proven_account_events(
        &self,
        actor: &Actor,
        purpose: &str,
        account: &str,
        days: i64,
        limit: usize,
    ) -> Result<ProvenEvents> {
        let now = self.now();
        let events = self
            .account_events(
                actor,
                purpose,
                account,
                EventsQuery {
                    from: Some(now - Duration::days(days)),
                    to: Some(now),
                    limit,
                    proof: Some(ProofAt::Latest),
                    starting_after: None,
                },
            )
            .await?;
        let l = self.ledger_or_conflict()?;
        let proven = events
            .events
            .iter()
            .map(|f| match (&f.proof, &events.checkpoint) {
                (Some(p), Some(cp)) => custos_ledger::query::check_proof(
                    p,
                    f.index,
                    cp.as_bytes(),
                    l.access.verifier_key(),
                    l.access.origin(),
                )
                .is_ok(),
                _ => false,
            })
            .collect();
        Ok(ProvenEvents { events, proven })
    }
}

/// One log's head: its origin line, size and latest signed checkpoint (C2SP signed-note text).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogHead {
    pub origin: String,
    pub size: u64,
    /// None before the log's first entry.
    pub checkpoint: Option<String>,
}

/// The ledger's verifier key and each log's head: what anyone needs to check an inclusion
/// proof, a records package or a tile against the running ledger, without stopping it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerKey {
    /// Always `ledger_key`.
    pub object: &'static str,
    /// The Ed25519 verifier key of both logs, in signed-note form (`NAME+HASH+KEY`).
    pub verifier_key: String,
    pub access: LogHead,
    pub audit: LogHead,
}

impl App {
    /// The verifier key and the logs' latest checkpoints (nothing personal: hashes and sizes).
    pub fn ledger_key(&self) -> Result<LedgerKey> {
        let l = self.ledger_or_conflict()?;
        let head = |log: &custos_ledger::Log| {
            // Read together: an append between two reads would pair a size with another's
            // checkpoint.
            let (size, checkpoint) = log.head();
            LogHead {
                origin: log.origin().to_owned(),
                size,
                checkpoint: Some(checkpoint)
                    .filter(|c| !c.is_empty())
                    .map(|c| String::from_utf8_lossy(&c).into_owned()),
            }
        };
        Ok(LedgerKey {
            object: "ledger_key",
            verifier_key: l.verifier_key().to_owned(),
            access: head(&l.access),
            audit: head(&l.audit),
        })
    }
}
