//! Information sharing with peers and agencies (EO 13984 section 3): TAXII collections of STIX
//! objects, the abuse cases shared into them, and what peers' objects bring in.
//!
//! A collection is a compliance record (`sharing_collection`) naming the `peer` keys that may
//! read it (`*`: every peer) and write to it; its objects are kept by the store, each version
//! sealed. What custos writes into a collection is the actor's infrastructure (the address an
//! abuse came from, its sighting, the incident), never a customer's record.

mod account;
pub mod incident;
pub mod keyed;
mod networks;
pub mod oprf;
pub mod pull;
pub mod stix;
pub mod taxii;

use chrono::{DateTime, Utc};
use custos_core::abuse::{AbuseCase, Action, CaseState};
use custos_store::{ComplianceRecord, SharedObject, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::keys::{Caller, Permission, Role};
use crate::service::{Actor, App};
use stix::Tlp;

/// The kind of compliance record a collection is kept as.
pub const COLLECTION_KIND: &str = "sharing_collection";
/// The compliance record that holds the provider's STIX identity.
const IDENTITY_RECORD: &str = "sharing_identity";
/// How long an indicator of an abuse's address stays valid after the abuse.
pub const INDICATOR_DAYS: u32 = 30;
/// Who may read a collection when every peer may.
pub const EVERY_PEER: &str = "*";

/// A TAXII collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = SharingCollection)]
pub struct Collection {
    /// A UUID, as TAXII names collections.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `peer` keys that may read it, by id; `*` for every peer.
    pub readers: Vec<String>,
    /// The `peer` keys that may add objects to it, by id.
    pub writers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A collection to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The `peer` keys that may read it, by id; `*` for every peer.
    #[serde(default)]
    pub readers: Vec<String>,
    /// The `peer` keys that may add objects to it, by id.
    #[serde(default)]
    pub writers: Vec<String>,
}

/// What a caller may do with a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
}

/// A case to share: where, and under which TLP level.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareCase {
    /// The collection's id.
    pub collection: String,
    /// Who recipients may pass it on to; `amber` unless said.
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// With the addresses the account closed for abuse connected from (the ledger's last 90
    /// days): the customer's record, so a second person approves first (`202`).
    #[serde(default)]
    pub include_access_addresses: bool,
    /// With the SSH keys the account closed for abuse used (the ledger's events that carry
    /// a key's fingerprint, the last 90 days): the customer's record too, so a second person
    /// approves first (`202`).
    #[serde(default)]
    pub include_ssh_keys: bool,
    /// Why (with `include_access_addresses` or `include_ssh_keys`): the second person decides
    /// on it.
    #[serde(default)]
    pub note: Option<String>,
}

/// What of the account closed for abuse a share takes (a second person approved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountParts {
    /// The addresses it connected from.
    pub addresses: bool,
    /// The SSH keys it used.
    pub ssh_keys: bool,
}

impl AccountParts {
    /// Whether anything of the account is taken.
    pub fn any(self) -> bool {
        self.addresses || self.ssh_keys
    }
}

/// What sharing a case wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shared {
    pub collection: String,
    /// The objects written (their STIX ids), in the order of the bundle.
    pub objects: Vec<String>,
    /// How many of them were new versions (the rest the collection held already).
    pub added: usize,
    /// The case shared (with the share recorded), when a case was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<AbuseCase>,
}

/// The provider's STIX identity, made once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Identity {
    id: String,
    name: String,
    created: DateTime<Utc>,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::invalid(field, why)
}

/// A title or description: one line, bounded.
fn line(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(
            field,
            &format!("one line of at most {max} characters, not empty"),
        ));
    }
    Ok(v.to_owned())
}

/// The STIX fields TAXII filters on, from an object; the reason it cannot be kept otherwise.
pub(crate) fn shared_object(o: &Value) -> std::result::Result<SharedObject, String> {
    let kind = o.get("type").and_then(Value::as_str).ok_or("no `type`")?;
    if kind.len() < 3
        || kind.len() > 250
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("`type` is not a STIX type".into());
    }
    let id = o.get("id").and_then(Value::as_str).ok_or("no `id`")?;
    let uuid_ok = id
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix("--"))
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok() && u.len() == 36);
    if !uuid_ok {
        return Err("`id` is not the type, `--` and a UUID".into());
    }
    // STIX 2.1 cyber-observables may leave `spec_version` out (it is then 2.1); a domain
    // object without it (it has `created`) is STIX 2.0.
    let spec =
        o.get("spec_version")
            .and_then(Value::as_str)
            .unwrap_or(if o.get("created").is_some() {
                "2.0"
            } else {
                "2.1"
            });
    if spec != stix::SPEC_VERSION {
        return Err(format!("spec_version {spec}: this server keeps STIX 2.1"));
    }
    let version = match (
        o.get("modified").or_else(|| o.get("created")),
        stix::version_of(o),
    ) {
        (Some(_), None) => return Err("`modified` or `created` is not an RFC 3339 time".into()),
        (_, v) => v.unwrap_or_default(),
    };
    let body = serde_json::to_vec(o).map_err(|e| e.to_string())?;
    Ok(SharedObject {
        id: id.to_owned(),
        version,
        object_type: kind.to_owned(),
        spec_version: spec.to_owned(),
        body,
    })
}

impl App {
    /// Every collection, oldest first.
    pub async fn collections(&self) -> Result<Vec<Collection>> {
        self.store
            .compliance_records(COLLECTION_KIND, None)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("a stored collection: {e}")))
            })
            .collect()
    }

    /// One collection.
    pub async fn collection(&self, id: &str) -> Result<Collection> {
        match self.store.compliance_record(&format!("col_{id}")).await {
            Ok(r) if r.kind == COLLECTION_KIND => serde_json::from_value(r.body)
                .map_err(|e| Error::Internal(format!("a stored collection: {e}"))),
            Ok(_) | Err(StoreError::NotFound(_)) => {
                Err(Error::NotFound(format!("collection {id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What `caller` may do with collection `c`: a peer what the collection gives its key;
    /// the provider's people who reach TAXII read every collection, and those who keep sharing
    /// write to them.
    pub fn access(caller: &Caller, c: &Collection) -> Access {
        if caller.role == Role::Peer {
            let named = |list: &[String]| list.contains(&caller.key_id);
            Access {
                read: named(&c.readers) || c.readers.iter().any(|k| k == EVERY_PEER),
                write: named(&c.writers),
            }
        } else {
            Access {
                read: Permission::Taxii.allows(caller.role),
                write: Permission::Share.allows(caller.role),
            }
        }
    }

    /// Creates a collection, its readers and writers checked to be live `peer` keys. Audited.
    pub async fn create_collection(&self, caller: &Caller, n: NewCollection) -> Result<Collection> {
        self.create_collection_with_id(caller, uuid::Uuid::new_v4().to_string(), n)
            .await
    }

    /// [`App::create_collection`] under an id the caller chose (the demo's).
    pub async fn create_collection_with_id(
        &self,
        caller: &Caller,
        id: String,
        n: NewCollection,
    ) -> Result<Collection> {
        caller.require(Permission::Share)?;
        let title = line("title", &n.title, 200)?;
        let description = n
            .description
            .as_deref()
            .map(|d| custos_core::text::free_text("description", d))
            .transpose()?;
        let keys = self.store.list_api_keys().await?;
        let check = |field: &str, list: &[String], star: bool| -> Result<Vec<String>> {
            let mut out: Vec<String> = vec![];
            for k in list {
                let k = k.trim();
                let ok = (star && k == EVERY_PEER)
                    || keys.iter().any(|r| {
                        r.id == k && r.role == Role::Peer.as_str() && r.revoked_at.is_none()
                    });
                if !ok {
                    return Err(invalid(
                        field,
                        if star {
                            "each is the id of a live `peer` key, or `*` for every peer"
                        } else {
                            "each is the id of a live `peer` key"
                        },
                    ));
                }
                if !out.iter().any(|x| x == k) {
                    out.push(k.to_owned());
                }
            }
            Ok(out)
        };
        let c = Collection {
            id,
            title,
            description,
            readers: check("readers", &n.readers, true)?,
            writers: check("writers", &n.writers, false)?,
            created_at: self.now(),
            created_by: caller.key_id.clone(),
        };
        let _once = self.once.lock().await;
        if self.collections().await?.iter().any(|x| x.title == c.title) {
            return Err(Error::Conflict(format!(
                "a collection is titled `{}` already",
                c.title
            )));
        }
        self.store
            .put_compliance_record(
                &ComplianceRecord {
                    id: format!("col_{}", c.id),
                    kind: COLLECTION_KIND.into(),
                    subject: None,
                    created_at: c.created_at,
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(&c)
                        .map_err(|e| Error::Internal(format!("a collection: {e}")))?,
                },
                &[],
            )
            .await?;
        self.audit(&caller.actor(), None, "create_collection", &c.id)
            .await?;
        Ok(c)
    }

    /// The provider's STIX identity (made the first time, named as the program profile names
    /// the provider).
    async fn sharing_identity(&self, actor: &Actor) -> Result<Identity> {
        // The profile is read first (it audits, outside the lock); then read and made under
        // the lock, so that two first shares make one identity.
        let profile = self.program_profile(actor).await?;
        let _once = self.once.lock().await;
        match self.store.compliance_record(IDENTITY_RECORD).await {
            Ok(r) => {
                return serde_json::from_value(r.body)
                    .map_err(|e| Error::Internal(format!("the sharing identity: {e}")));
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let name = profile
            .map(|p| p.provider_name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "IaaS provider".into());
        let i = Identity {
            id: format!("identity--{}", uuid::Uuid::new_v4()),
            name,
            created: self.now(),
        };
        self.store
            .put_compliance_record(
                &ComplianceRecord {
                    id: IDENTITY_RECORD.into(),
                    kind: IDENTITY_RECORD.into(),
                    subject: None,
                    created_at: i.created,
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(&i)
                        .map_err(|e| Error::Internal(format!("the sharing identity: {e}")))?,
                },
                &[],
            )
            .await?;
        Ok(i)
    }

    /// The provider's STIX identity object.
    pub(crate) async fn case_objects_identity(&self, actor: &Actor) -> Result<Value> {
        let i = self.sharing_identity(actor).await?;
        Ok(stix::identity(&i.id, &i.name, i.created))
    }

    /// Keeps a case's STIX ids (record `record`).
    async fn keep_case_ids(&self, record: &str, case: &str, ids: &stix::CaseIds) -> Result<()> {
        Ok(self
            .store
            .put_compliance_record(
                &ComplianceRecord {
                    id: record.to_owned(),
                    kind: "stix_ids".into(),
                    subject: Some(case.to_owned()),
                    created_at: ids.created,
                    due_at: None,
                    closed_at: None,
                    body: serde_json::to_value(ids)
                        .map_err(|e| Error::Internal(format!("a case's STIX ids: {e}")))?,
                },
                &[],
            )
            .await?)
    }

    /// The ids of case `c`'s objects: those kept when it was first shared, else fresh ones
    /// (kept, when `keep`), with the time `tlp` became its level (now, when it changes).
    async fn case_ids(
        &self,
        c: &AbuseCase,
        keep: bool,
        tlp: Tlp,
        domains: &[String],
        wallets: &[String],
    ) -> Result<stix::CaseIds> {
        let record = format!("stix_ids_{}", c.id);
        let _once = self.once.lock().await;
        let now = self.now();
        let mut ids = match self.store.compliance_record(&record).await {
            Ok(r) => serde_json::from_value(r.body)
                .map_err(|e| Error::Internal(format!("a case's STIX ids: {e}")))?,
            Err(StoreError::NotFound(_)) => stix::CaseIds::new(now),
            Err(e) => return Err(e.into()),
        };
        let mut changed = false;
        for d in domains {
            if !ids.domains.contains_key(d) {
                ids.domains.insert(d.clone(), stix::new_id("indicator"));
                changed = true;
            }
        }
        for w in wallets {
            if !ids.wallets.contains_key(w) {
                ids.wallets.insert(w.clone(), stix::new_id("indicator"));
                changed = true;
            }
        }
        if ids.tlp != Some(tlp) {
            // The first level is the objects' first version; another is a new version.
            ids.tlp_at = Some(if ids.tlp.is_none() { ids.created } else { now });
            ids.tlp = Some(tlp);
            changed = true;
        }
        if keep && changed {
            self.keep_case_ids(&record, &c.id, &ids).await?;
        }
        Ok(ids)
    }

    /// A case's report, as sealed (`None`: a case without one).
    pub(crate) async fn case_evidence(
        &self,
        c: &AbuseCase,
    ) -> Result<Option<crate::abuse::Evidence>> {
        let Some(doc) = &c.evidence_id else {
            return Ok(None);
        };
        let (_, body) = self.store.document(doc).await?;
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Error::Internal(format!("a stored abuse report's evidence: {e}")))
    }

    /// The STIX objects abuse case `id` is shared as, under `tlp`: the provider's identity,
    /// the marking, and the case's objects (the same ids as when it was shared before; kept the
    /// first time when `keep`). Nothing of the customer goes in.
    async fn case_objects(
        &self,
        actor: &Actor,
        c: &AbuseCase,
        tlp: Tlp,
        keep: bool,
    ) -> Result<Vec<Value>> {
        let identity = self.sharing_identity(actor).await?;
        let (ip, domains, wallets) = match self.case_evidence(c).await? {
            Some(e) => (e.ip.and_then(|i| i.parse().ok()), e.domains, e.wallets),
            None => (None, vec![], vec![]),
        };
        let siblings = self
            .abuse_cases(None)
            .await?
            .into_iter()
            .filter(|x| x.report_id == c.report_id)
            .count();
        let ids = self.case_ids(c, keep, tlp, &domains, &wallets).await?;
        let facts = stix::CaseFacts {
            domains: domains
                .iter()
                .filter_map(|d| ids.domains.get(d).map(|i| (d.clone(), i.clone())))
                .collect(),
            wallets: wallets
                .iter()
                .filter_map(|w| ids.wallets.get(w).map(|i| (w.clone(), i.clone())))
                .collect(),
            ids,
            category: category_word(c),
            ip,
            occurred_at: c.occurred_at,
            valid_days: INDICATOR_DAYS,
            confirmed: c.actions.iter().any(|t| t.action == Action::CloseForAbuse),
            closed: c.state == CaseState::Closed,
            dismissed: c.actions.iter().any(|t| t.action == Action::Dismiss),
            reports: u32::try_from(siblings).unwrap_or(u32::MAX),
            first_seen: c.occurred_at,
            last_seen: c.occurred_at,
        };
        // The case's last change is the objects' version (sharing it is not a change of it).
        let changed = case_changed(c);
        let mut out = vec![
            stix::identity(&identity.id, &identity.name, identity.created),
            tlp.marking(),
        ];
        if !wallets.is_empty() {
            out.extend(stix::definitions());
        }
        out.extend(stix::case_objects(&facts, &identity.id, tlp, changed));
        once_each(&mut out);
        Ok(out)
    }

    /// Abuse case `id` as a STIX bundle, to look at before sharing it. Audited.
    pub async fn abuse_case_bundle(&self, caller: &Caller, id: &str, tlp: Tlp) -> Result<Value> {
        caller.require(Permission::Share)?;
        let c = self.abuse_case(id).await?;
        c.check(Action::Share)?;
        let actor = caller.actor();
        self.audit(
            &actor,
            Some("sharing: the bundle a case is shared as"),
            "abuse_case_bundle",
            id,
        )
        .await?;
        Ok(stix::bundle(
            self.case_objects(&actor, &c, tlp, false).await?,
        ))
    }

    /// Shares abuse case `id` into a collection: its objects are added (new versions of those
    /// shared before), and the case records the share. With the access addresses of the
    /// account it closed for abuse (the customer's record), a second person approves first:
    /// the share waits. Audited.
    pub async fn share_abuse_case(
        &self,
        caller: &Caller,
        id: &str,
        s: ShareCase,
    ) -> Result<crate::approvals::Decided<Shared>> {
        caller.require(Permission::Share)?;
        let actor = caller.actor();
        let col = self.named_collection(&s.collection).await?;
        let c = self.abuse_case(id).await?;
        c.check(Action::Share)?;
        let tlp = s.tlp.unwrap_or(Tlp::Amber);
        let parts = AccountParts {
            addresses: s.include_access_addresses,
            ssh_keys: s.include_ssh_keys,
        };
        if !parts.any() {
            return Ok(crate::approvals::Decided::Done(
                self.share_case_now(&actor, id, &col.id, tlp, parts).await?,
            ));
        }
        let option = if parts.addresses {
            "include_access_addresses"
        } else {
            "include_ssh_keys"
        };
        let (Some(_), Some(customer)) = (&c.account_id, &c.customer_id) else {
            return Err(invalid(
                option,
                "only a case whose account was closed for abuse has the actor's access addresses and keys",
            ));
        };
        if !c.actions.iter().any(|t| t.action == Action::CloseForAbuse) {
            return Err(invalid(
                option,
                "only once the account is closed for abuse: until then they are a customer's",
            ));
        }
        let Some(reason) = s
            .note
            .as_deref()
            .map(|n| custos_core::text::free_text("note", n))
            .transpose()?
        else {
            return Err(invalid("note", "say why: the second person decides on it"));
        };
        let body = serde_json::json!({"reason": reason, "collection": col.id, "tlp": tlp,
            "parts": parts});
        Ok(crate::approvals::Decided::Waiting(Box::new(
            self.ask(&actor, SHARE_ADDRESSES, customer, id, body)
                .await?,
        )))
    }

    /// Shares case `id` into collection `col` now, in `actor`'s name (with the account's
    /// access addresses and SSH keys as `parts` says: a second person approved). The networks
    /// several shared reports fall in are shared with it.
    pub(crate) async fn share_case_now(
        &self,
        actor: &Actor,
        id: &str,
        col: &str,
        tlp: Tlp,
        parts: AccountParts,
    ) -> Result<Shared> {
        let c = self.abuse_case(id).await?;
        c.check(Action::Share)?;
        self.audit(
            actor,
            Some(&format!("sharing into collection {col}")),
            match (parts.addresses, parts.ssh_keys) {
                (false, false) => "share_abuse_case",
                (true, false) => "share_abuse_case_addresses",
                (false, true) => "share_abuse_case_ssh_keys",
                (true, true) => "share_abuse_case_addresses_ssh_keys",
            },
            id,
        )
        .await?;
        let mut objects = self.case_objects(actor, &c, tlp, true).await?;
        if parts.any() {
            objects.extend(self.account_objects(actor, &c, tlp, parts).await?);
        }
        objects.extend(self.network_objects(actor, col, &c, tlp).await?);
        once_each(&mut objects);
        let rows = objects
            .iter()
            .map(shared_object)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Internal(format!("an object custos made: {e}")))?;
        let added = self
            .store
            .add_shared_objects(col, &rows, self.now())
            .await?;
        let case = self
            .apply_abuse_action(actor, id, Action::Share, None)
            .await?;
        Ok(Shared {
            collection: col.to_owned(),
            objects: rows.into_iter().map(|r| r.id).collect(),
            added: added.iter().filter(|a| a.is_some()).count(),
            case: Some(case),
        })
    }
}

/// Keeps the first object of each id (the identity, markings and definitions several parts of
/// a share bring).
fn once_each(objects: &mut Vec<Value>) {
    let mut seen = std::collections::HashSet::new();
    objects.retain(|o| seen.insert(o["id"].as_str().unwrap_or_default().to_owned()));
}

/// A case's category as STIX labels write it (`phishing`).
pub(crate) fn category_word(c: &AbuseCase) -> String {
    serde_json::to_value(c.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A case's last change (sharing it is not one): its objects' version.
pub(crate) fn case_changed(c: &AbuseCase) -> DateTime<Utc> {
    c.actions
        .iter()
        .filter(|t| t.action != Action::Share)
        .map(|t| t.at)
        .chain([c.opened_at])
        .max()
        .unwrap_or(c.opened_at)
}

/// The kind of approval sharing an account's access addresses waits as.
pub const SHARE_ADDRESSES: &str = "share_access_addresses";

/// What a peer's signal is about: the account (an address it used) or the customer (an
/// identifier it holds), what it came from, and its sealed evidence.
pub(crate) struct Signal {
    pub report_id: String,
    pub reported_by: String,
    pub category: custos_core::abuse::Category,
    pub account: Option<(custos_core::AccountId, custos_core::CustomerId)>,
    pub customer: Option<custos_core::CustomerId>,
    pub occurred_at: DateTime<Utc>,
    pub evidence: Value,
}

impl App {
    /// Opens a `peer_signal` case: its evidence sealed, the case kept (with its webhook
    /// events), audited. Never a decision: a person reviews it.
    pub(crate) async fn open_signal(&self, actor: &Actor, s: Signal) -> Result<AbuseCase> {
        use custos_core::abuse::CaseKind;
        let now = self.now();
        let body = serde_json::to_vec(&s.evidence)
            .map_err(|e| Error::Internal(format!("a peer signal's evidence: {e}")))?;
        let meta = self
            .store
            .add_document(
                &custos_store::DocumentMeta {
                    id: String::new(),
                    owner: crate::service::new_id("abr_"),
                    kind: crate::abuse::EVIDENCE_KIND.into(),
                    version: 0,
                    uploaded_at: now,
                    uploaded_by: actor.id.clone(),
                    file_name: "peer-signal.json".into(),
                    media_type: "application/json".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
                    size: body.len() as u64,
                },
                &body,
            )
            .await?;
        let (account_id, customer_id) = match s.account {
            Some((a, c)) => (Some(a), Some(c)),
            None => (None, s.customer),
        };
        let c = AbuseCase {
            id: crate::service::new_id("abc_"),
            kind: CaseKind::PeerSignal,
            state: CaseState::Open,
            category: s.category,
            report_id: s.report_id,
            account_id,
            customer_id,
            occurred_at: s.occurred_at,
            opened_at: now,
            due_at: now + chrono::Duration::hours(i64::from(self.policy.detection.case_hours)),
            handled_at: None,
            closed_at: None,
            reported_by: s.reported_by,
            suspended: false,
            actions: vec![],
            evidence_id: Some(meta.id),
            linked_to: None,
        };
        self.save_case(&c, None).await?;
        self.audit(actor, None, "peer_signal", &c.id).await?;
        Ok(c)
    }

    /// This provider's STIX identity id, if it has shared anything.
    pub(crate) async fn own_identity_id(&self) -> Result<Option<String>> {
        match self.store.compliance_record(IDENTITY_RECORD).await {
            Ok(r) => Ok(r.body.get("id").and_then(Value::as_str).map(str::to_owned)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A collection named by a form or a request (not found: a wrong field, not a missing
    /// resource).
    pub(crate) async fn named_collection(&self, id: &str) -> Result<Collection> {
        match self.collection(id.trim()).await {
            Ok(c) => Ok(c),
            Err(Error::NotFound(_)) => Err(invalid("collection", "no such collection")),
            Err(e) => Err(e),
        }
    }
}
