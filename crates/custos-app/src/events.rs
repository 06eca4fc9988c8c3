//! Access and administrative events coming in, by any door: the API (`POST /v1/events`), a
//! backfill file (NDJSON or CSV) and NATS JetStream. Each event is read one way, with one
//! strictness: straight from its JSON text (a key given twice is refused, not read as its last
//! value; trailing content is refused), its fields checked, and its time checked against the
//! clock of the process taking it in. What is wrong is named by field, never by value: events
//! hold addresses and account ids.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custos_ledger::Event;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::App;

/// The most events one batch may carry.
pub const MAX_EVENTS: usize = 10_000;

/// Why an event is refused: the field within the event (`time`, `ip`; `None` for the event as
/// a whole) and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "`{field}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl Refused {
    /// As an error of the batch, the event named by its place (`events[3]`).
    fn within(self, place: &str) -> Error {
        Error::Validation {
            field: Some(match self.field {
                Some(f) if f.starts_with('[') => format!("{place}{f}"),
                Some(f) => format!("{place}.{f}"),
                None => place.to_owned(),
            }),
            detail: self.reason,
        }
    }
}

/// Reads `T` from JSON text exactly: `Ok(None)` is text that is not JSON, or not only JSON.
fn exact<T: DeserializeOwned>(json: &[u8]) -> std::result::Result<Option<T>, Refused> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    let v = match serde_path_to_error::deserialize(&mut *de) {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.classify() != serde_json::error::Category::Data {
                return Ok(None);
            }
            let msg = inner.to_string();
            // A key given twice, or one missing, is named in the message (one of the event's
            // own), not the path.
            let key_of = |lead: &str| {
                msg.strip_prefix(lead)
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(key, _)| key.to_owned())
            };
            let missing = key_of("missing field `");
            let named = missing.clone().or_else(|| key_of("duplicate field `"));
            let field = match (path.as_str(), named) {
                (".", Some(key)) => Some(key),
                (".", None) => None,
                (p, Some(key)) => Some(format!("{p}.{key}")),
                (p, None) => Some(p.to_owned()),
            };
            let reason = if missing.is_some() {
                "is required".to_owned()
            } else {
                crate::json::redact(&msg)
            };
            return Err(Refused { field, reason });
        }
    };
    Ok(de.end().is_ok().then_some(v))
}

/// One event from its JSON text, checked against `now`.
pub fn parse_event(json: &[u8], now: DateTime<Utc>) -> std::result::Result<Event, Refused> {
    let e: Event = exact(json)?.ok_or_else(|| Refused {
        field: None,
        reason: "is not a JSON object".into(),
    })?;
    check(&e, now)?;
    Ok(e)
}

fn check(e: &Event, now: DateTime<Utc>) -> std::result::Result<(), Refused> {
    e.validate_at(now).map_err(|err| Refused {
        field: Some(err.field.to_owned()),
        reason: err.reason,
    })
}

/// How a batch of events is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFormat {
    /// A JSON array of events, or one event.
    Json,
    /// One event a line.
    Ndjson,
}

impl BatchFormat {
    /// The format of a media type (`application/json`, `application/x-ndjson`, ...).
    pub fn from_media_type(media: &str) -> Option<BatchFormat> {
        match media {
            "application/x-ndjson" | "application/jsonl" | "application/json-seq" => {
                Some(BatchFormat::Ndjson)
            }
            "application/json" => Some(BatchFormat::Json),
            _ => None,
        }
    }
}

/// The events of a batch, each checked against `now`. A batch of more than [`MAX_EVENTS`]
/// is refused as [`Error::TooLarge`].
pub fn parse_batch(format: BatchFormat, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Event>> {
    let too_many = || Error::TooLarge(format!("more than {MAX_EVENTS} events"));
    let events: Vec<Event> = match format {
        BatchFormat::Ndjson => {
            let mut v = vec![];
            for (n, line) in body.split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if v.len() == MAX_EVENTS {
                    return Err(too_many());
                }
                let place = format!("events[{}]", v.len());
                let e: Event = exact(line).map_err(|r| r.within(&place))?.ok_or_else(|| {
                    Error::Validation {
                        field: None,
                        detail: format!("line {} is not a JSON object", n + 1),
                    }
                })?;
                v.push(e);
            }
            v
        }
        BatchFormat::Json => {
            let parsed = match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => exact::<Vec<Event>>(body).map_err(|r| r.within("events"))?,
                Some(b'{') => exact::<Event>(body)
                    .map_err(|r| r.within("events[0]"))?
                    .map(|e| vec![e]),
                _ => None,
            };
            parsed.ok_or_else(|| Error::Validation {
                field: None,
                detail: "the body must be a JSON array of events (or NDJSON)".into(),
            })?
        }
    };
    if events.is_empty() {
        return Err(Error::Malformed("no events".into()));
    }
    if events.len() > MAX_EVENTS {
        return Err(too_many());
    }
    for (i, e) in events.iter().enumerate() {
        check(e, now).map_err(|r| r.within(&format!("events[{i}]")))?;
    }
    Ok(events)
}

/// What an ingest did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ingested {
    /// The log indexes the events got: `first..end`.
    pub first: u64,
    pub end: u64,
    /// The tree size of the signed checkpoint that commits them.
    pub checkpoint_size: u64,
    /// Accounts custos does not (yet) know: the events are kept, and flagged here.
    pub unknown_accounts: Vec<String>,
}

impl App {
    /// Appends checked events to the access log; answers once they are durable. Events of
    /// accounts custos does not know are kept and flagged; the purges of accounts retention
    /// already destroyed are queued again.
    pub async fn ingest(&self, events: Vec<Event>) -> Result<Ingested> {
        let l = self.ledger_or_conflict()?;
        let accounts: Vec<String> = events
            .iter()
            .map(|e| e.account_id.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let known = self.known_accounts(&accounts).await?;
        let unknown: Vec<String> = accounts
            .into_iter()
            .filter(|a| known.binary_search(a).is_err())
            .collect();
        let log = l.clone();
        let range = tokio::task::spawn_blocking(move || log.access.append(&events)).await??;
        self.events_appended(&known).await?;
        Ok(Ingested {
            first: range.start,
            end: range.end,
            checkpoint_size: l.access.size(),
            unknown_accounts: unknown,
        })
    }

    /// The ledger, or a conflict when this process keeps none.
    pub fn ledger_or_conflict(&self) -> Result<std::sync::Arc<custos_ledger::Ledger>> {
        self.ledger().cloned().ok_or_else(|| {
            Error::Conflict(
                "this process keeps no ledger: a running server holds it (ask the server, \
                     through the API or the console, or stop it first), or none is configured"
                    .into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    const ONE: &str = r#"{"account_id": "a", "time": "2026-11-24T08:00:00Z", "ip": "192.0.2.1", "action": "login", "source": "s"}"#;

    #[test]
    fn one_event_is_read_as_a_batch_reads_it() {
        assert!(parse_event(ONE.as_bytes(), now()).is_ok());
        let twice = ONE.replace("\"s\"}", "\"s\", \"ip\": \"192.0.2.2\"}");
        let r = parse_event(twice.as_bytes(), now()).unwrap_err();
        assert_eq!(r.to_string(), "`ip`: duplicate field `ip`");
        let late = ONE.replace("2026-11-24T08", "2026-11-25T08");
        let r = parse_event(late.as_bytes(), now()).unwrap_err();
        assert_eq!(r.to_string(), "`time`: is in the future");
        let bad = ONE.replace("192.0.2.1", "999.1.2.3");
        let r = parse_event(bad.as_bytes(), now()).unwrap_err();
        assert_eq!(r.to_string(), "`ip`: invalid IP address syntax");
        assert!(!r.to_string().contains("999"));
        let r = parse_event(format!("{ONE} x").as_bytes(), now()).unwrap_err();
        assert_eq!(r.to_string(), "is not a JSON object");
    }
}
