//! The TAXII 2.1 operations, as the server's `/taxii2/` routes call them: a caller's
//! collections, their objects and manifests filtered and paged as the specification says,
//! objects added (answered with a status), and the status resources. Every read is audited.

use chrono::{DateTime, SecondsFormat, Utc};
use custos_store::{ComplianceRecord, SharedQuery, StoredShared, VersionMatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Access, Collection, shared_object};
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::App;

/// The kind of compliance record a status resource is kept as.
const STATUS_KIND: &str = "taxii_status";
/// The most objects one page holds, and the number a page holds unless asked.
pub const MAX_PAGE: u32 = 1000;
pub const DEFAULT_PAGE: u32 = 100;
/// The most objects one envelope adds.
pub const MAX_ADD: usize = 1000;

/// A TAXII timestamp: RFC 3339 in UTC, to the microsecond.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A page of a collection: the rows, whether more follow and where the next page starts.
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<StoredShared>,
    pub more: bool,
    /// What `next` the client sends for the following page.
    pub next: Option<String>,
}

impl Page {
    /// The `X-TAXII-Date-Added-First` and `-Last` of the page.
    pub fn added_range(&self) -> Option<(String, String)> {
        Some((
            timestamp(self.rows.first()?.date_added),
            timestamp(self.rows.last()?.date_added),
        ))
    }

    /// The objects themselves, as an envelope holds them.
    pub fn objects(&self) -> Result<Vec<Value>> {
        self.rows
            .iter()
            .map(|r| {
                serde_json::from_slice(&r.body)
                    .map_err(|e| Error::Internal(format!("a stored STIX object: {e}")))
            })
            .collect()
    }

    /// The objects' versions, as a manifest lists them.
    pub fn manifest(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "date_added": timestamp(r.date_added),
                    "version": version(r),
                    "media_type": "application/stix+json;version=2.1",
                })
            })
            .collect()
    }
}

/// A row's version as TAXII states it: the object's own time, or (a cyber-observable) when it
/// was added.
pub fn version(r: &StoredShared) -> String {
    if r.version.is_empty() {
        timestamp(r.date_added)
    } else {
        // As the objects write it: to the millisecond when that is all it holds.
        match r.version.strip_suffix("000Z") {
            Some(ms) if ms.len() == 23 => format!("{ms}Z"),
            _ => r.version.clone(),
        }
    }
}

/// Which filters an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `objects/` and `manifest/`: every filter.
    Objects,
    /// `objects/{id}/`: no `match[id]` or `match[type]`.
    Object,
    /// `objects/{id}/versions/`: only `added_after`, `limit`, `next` and `match[spec_version]`.
    Versions,
}

fn bad(field: &str, why: &str) -> Error {
    Error::invalid(field, why)
}

/// Reads the query's filters into a store query for `collection`.
pub fn query(
    collection: &str,
    params: &[(String, String)],
    endpoint: Endpoint,
) -> Result<SharedQuery> {
    let mut q = SharedQuery {
        collection: collection.to_owned(),
        added_after: None,
        ids: vec![],
        types: vec![],
        spec_versions: vec![],
        versions: vec![],
        limit: DEFAULT_PAGE,
        with_body: true,
    };
    let mut next: Option<DateTime<Utc>> = None;
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    };
    for (k, v) in params {
        let allowed = match endpoint {
            Endpoint::Objects => true,
            Endpoint::Object => !matches!(k.as_str(), "match[id]" | "match[type]"),
            Endpoint::Versions => {
                matches!(
                    k.as_str(),
                    "added_after" | "limit" | "next" | "match[spec_version]"
                )
            }
        };
        if !allowed {
            return Err(bad(k, "is not a filter of this endpoint"));
        }
        match k.as_str() {
            "added_after" => {
                let t = DateTime::parse_from_rfc3339(v.trim())
                    .map_err(|_| bad(k, "is not an RFC 3339 time"))?;
                q.added_after = Some(t.with_timezone(&Utc));
            }
            "limit" => {
                let n: u32 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad(k, "is a whole number, at least 1"))?;
                q.limit = n.min(MAX_PAGE);
            }
            "next" => {
                let micros: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(k, "is not a `next` this server gave"))?;
                next = Some(
                    DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| bad(k, "is not a `next` this server gave"))?,
                );
            }
            "match[id]" => q.ids.extend(list(v)),
            "match[type]" => q.types.extend(list(v)),
            "match[spec_version]" => q.spec_versions.extend(list(v)),
            "match[version]" => {
                for x in list(v) {
                    q.versions.push(match x.as_str() {
                        "all" => VersionMatch::All,
                        "first" => VersionMatch::First,
                        "last" => VersionMatch::Last,
                        t => VersionMatch::At(
                            DateTime::parse_from_rfc3339(t)
                                .map_err(|_| bad(k, "is `all`, `first`, `last` or RFC 3339 times"))?
                                .with_timezone(&Utc)
                                .to_rfc3339_opts(SecondsFormat::Micros, true),
                        ),
                    });
                }
            }
            _ => return Err(bad(k, "is not a TAXII 2.1 filter")),
        }
    }
    if endpoint == Endpoint::Versions {
        q.versions = vec![VersionMatch::All];
        q.with_body = false;
    }
    // `next` continues a page: after the later of it and `added_after`.
    if let Some(n) = next {
        q.added_after = Some(q.added_after.map_or(n, |a| a.max(n)));
    }
    Ok(q)
}

/// A status resource: what an envelope sent to a collection came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    pub request_timestamp: String,
    pub total_count: usize,
    pub success_count: usize,
    pub successes: Vec<Value>,
    pub failure_count: usize,
    pub failures: Vec<Value>,
    pub pending_count: usize,
    pub pendings: Vec<Value>,
}

/// A status as kept: the resource, and who may read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeptStatus {
    status: Status,
    by: String,
    collection: String,
}

impl App {
    /// The collections `caller` may read or write, with what it may do.
    pub async fn taxii_collections(&self, caller: &Caller) -> Result<Vec<(Collection, Access)>> {
        caller.require(Permission::Taxii)?;
        Ok(self
            .collections()
            .await?
            .into_iter()
            .map(|c| {
                let a = App::access(caller, &c);
                (c, a)
            })
            .filter(|(_, a)| a.read || a.write)
            .collect())
    }

    /// One collection `caller` may read or write (else: not found).
    pub async fn taxii_collection(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Collection, Access)> {
        caller.require(Permission::Taxii)?;
        let c = self.collection(id).await?;
        let a = App::access(caller, &c);
        if !(a.read || a.write) {
            return Err(Error::NotFound(format!("collection {id}")));
        }
        Ok((c, a))
    }

    /// A page of a collection's objects (or, with `object`, of one object's versions), as
    /// `params` filter them. Audited.
    pub async fn taxii_page(
        &self,
        caller: &Caller,
        collection: &str,
        object: Option<&str>,
        params: &[(String, String)],
        endpoint: Endpoint,
        with_body: bool,
    ) -> Result<Page> {
        let (c, a) = self.taxii_collection(caller, collection).await?;
        if !a.read {
            return Err(Error::Forbidden(format!(
                "this key may not read collection {}",
                c.id
            )));
        }
        let mut q = query(&c.id, params, endpoint)?;
        q.with_body = q.with_body && with_body;
        if let Some(o) = object {
            q.ids = vec![o.to_owned()];
        }
        let limit = q.limit;
        q.limit = limit + 1;
        self.audit(
            &caller.actor(),
            None,
            match endpoint {
                Endpoint::Objects if with_body => "taxii_get_objects",
                Endpoint::Objects => "taxii_get_manifest",
                Endpoint::Object => "taxii_get_object",
                Endpoint::Versions => "taxii_get_versions",
            },
            &c.id,
        )
        .await?;
        let mut rows = self.store.shared_objects(&q).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if object.is_some() && rows.is_empty() && q.added_after.is_none() {
            return Err(Error::NotFound(format!(
                "object {}",
                object.unwrap_or_default()
            )));
        }
        let next = more
            .then(|| {
                rows.last()
                    .map(|r| r.date_added.timestamp_micros().to_string())
            })
            .flatten();
        Ok(Page { rows, more, next })
    }

    /// Adds an envelope's objects to a collection `caller` may write: each is checked and
    /// kept (or counted a failure, with why); the status says what came of each. Audited.
    pub async fn taxii_add(
        &self,
        caller: &Caller,
        collection: &str,
        envelope: &[u8],
    ) -> Result<Status> {
        let (c, a) = self.taxii_collection(caller, collection).await?;
        if !a.write {
            return Err(Error::Forbidden(format!(
                "this key may not add to collection {}",
                c.id
            )));
        }
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            objects: Vec<Value>,
        }
        let e: Envelope = serde_json::from_slice(envelope)
            .map_err(|e| Error::Malformed(format!("not a TAXII envelope: {e}")))?;
        if e.objects.len() > MAX_ADD {
            return Err(Error::TooLarge(format!(
                "an envelope adds at most {MAX_ADD} objects"
            )));
        }
        let now = self.now();
        // A peer adds its own objects: not this provider's (its identity's), not the TLP
        // markings, not another author's object under the same id.
        let own = self.own_identity_id().await?;
        let ids: Vec<String> = e
            .objects
            .iter()
            .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let held = if ids.is_empty() {
            vec![]
        } else {
            self.store
                .shared_objects(&SharedQuery {
                    collection: c.id.clone(),
                    added_after: None,
                    ids,
                    types: vec![],
                    spec_versions: vec![],
                    versions: vec![VersionMatch::Last],
                    limit: MAX_ADD as u32,
                    with_body: true,
                })
                .await?
        };
        let author = |o: &Value| {
            o.get("created_by_ref")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let mut ok = vec![];
        let mut failures = vec![];
        for o in &e.objects {
            let id = o.get("id").and_then(Value::as_str).unwrap_or("");
            let theirs = author(o);
            let taken = held.iter().any(|h| {
                h.id == id
                    && serde_json::from_slice::<Value>(&h.body)
                        .map(|b| author(&b) != theirs)
                        .unwrap_or(true)
            });
            let refused = if own.is_some() && theirs == own {
                Some("this provider's own objects are written by it alone")
            } else if super::stix::Tlp::of_marking(id).is_some() {
                Some("the TLP 2.0 markings are OASIS's, held already")
            } else if super::stix::is_definition(id)
                || theirs.as_deref() == Some(super::stix::CUSTOS_IDENTITY)
            {
                Some("custos's definitions of its observables are written by custos alone")
            } else if taken {
                Some("another author's object has this id")
            } else {
                None
            };
            if let Some(why) = refused {
                failures.push(json!({"id": id, "message": why}));
                continue;
            }
            match shared_object(o) {
                Ok(row) => ok.push(row),
                Err(why) => failures.push(json!({
                    "id": o.get("id").and_then(Value::as_str).unwrap_or(""),
                    "message": why,
                })),
            }
        }
        self.audit(&caller.actor(), None, "taxii_add_objects", &c.id)
            .await?;
        let added = self.store.add_shared_objects(&c.id, &ok, now).await?;
        let successes: Vec<Value> = ok
            .iter()
            .zip(&added)
            .map(|(r, at)| {
                let version = if r.version.is_empty() {
                    at.map(timestamp).unwrap_or_default()
                } else {
                    r.version.clone()
                };
                json!({"id": r.id, "version": version})
            })
            .collect();
        let status = Status {
            id: uuid::Uuid::new_v4().to_string(),
            status: "complete".into(),
            request_timestamp: timestamp(now),
            total_count: e.objects.len(),
            success_count: successes.len(),
            successes,
            failure_count: failures.len(),
            failures,
            pending_count: 0,
            pendings: vec![],
        };
        let kept = KeptStatus {
            status: status.clone(),
            by: caller.key_id.clone(),
            collection: c.id.clone(),
        };
        self.store
            .put_compliance_record(
                &ComplianceRecord {
                    id: format!("taxii_status_{}", status.id),
                    kind: STATUS_KIND.into(),
                    subject: Some(c.id.clone()),
                    created_at: now,
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(&kept)
                        .map_err(|e| Error::Internal(format!("a TAXII status: {e}")))?,
                },
                &[],
            )
            .await?;
        Ok(status)
    }

    /// A status resource: the key that sent the envelope reads it, and the provider's people.
    pub async fn taxii_status(&self, caller: &Caller, id: &str) -> Result<Status> {
        caller.require(Permission::Taxii)?;
        let gone = || Error::NotFound(format!("status {id}"));
        let r = match self
            .store
            .compliance_record(&format!("taxii_status_{id}"))
            .await
        {
            Ok(r) if r.kind == STATUS_KIND => r,
            Ok(_) | Err(custos_store::StoreError::NotFound(_)) => return Err(gone()),
            Err(e) => return Err(e.into()),
        };
        let k: KeptStatus = serde_json::from_value(r.body)
            .map_err(|e| Error::Internal(format!("a stored TAXII status: {e}")))?;
        if caller.role == crate::keys::Role::Peer && k.by != caller.key_id {
            return Err(gone());
        }
        Ok(k.status)
    }
}
