//! The investigators' questions of the access ledger, asked by any door (the API, `custos
//! ledger query`, `custos ledger export`, the console): each is a read of personal data, so it
//! needs a purpose and is written to the audit trail before anything is read.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use custos_ledger::Ledger;
use custos_ledger::index::Net;
use custos_ledger::query::{AccountUse, Found, account_events, net_accounts, prove};
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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountEvents {
    pub account_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Found>,
    /// More events matched than `limit`.
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
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<AccountUse>,
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
        let l = self.ledger_or_conflict()?;
        let at = match q.proof {
            None => None,
            Some(ProofAt::Latest) => Some(l.access.size()),
            Some(ProofAt::Size(n)) if n == 0 || n > l.access.size() => {
                return Err(Error::invalid(
                    "proof",
                    "is not the size of a checkpoint of this log",
                ));
            }
            Some(ProofAt::Size(n)) => Some(n),
        };
        let l = self
            .audited_ledger(actor, purpose, "query_account_events", account)
            .await?;
        let (id, ll, limit) = (account.to_owned(), l.clone(), q.limit);
        let (mut events, truncated) =
            blocking(move || account_events(&ll.access, &id, from, to, limit)).await?;
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
            if size == l.access.size() {
                checkpoint = Some(String::from_utf8_lossy(&l.access.checkpoint()).into_owned());
            }
        }
        Ok(AccountEvents {
            account_id: account.to_owned(),
            from,
            to,
            events,
            truncated,
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
    ) -> Result<NetAccounts> {
        let net = Net::parse(network).ok_or_else(|| {
            Error::invalid("ip_or_cidr", "is not an IP address or network (ADDR/LEN)")
        })?;
        let (from, to) = range(from, to, self.now(), Duration::days(30))?;
        let l = self
            .audited_ledger(actor, purpose, "query_ip_accounts", &net.to_string())
            .await?;
        let accounts = blocking(move || net_accounts(&l.access, &net, from, to)).await?;
        Ok(NetAccounts {
            network: net.to_string(),
            from,
            to,
            accounts,
        })
    }
}
