//! STIX 2.1 objects made from custos's records: the provider's identity, the TLP 2.0 markings,
//! and, from an abuse case, the indicator of the address the abuse came from, its sighting and
//! the incident (with the Incident Core extension). Only the actor's infrastructure goes in: a
//! customer's record never does.
//!
//! Ids are random (UUIDv4, as the specification asks of domain objects) and kept with the
//! report the first time its case is shared, so that sharing it again makes a new version of
//! the same objects, never a second copy; cyber-observables take the id the specification
//! derives from their value.

use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

/// The STIX version custos writes.
pub const SPEC_VERSION: &str = "2.1";
/// The TLP 2.0 marking definitions' extension (OASIS CTI common objects).
pub const TLP_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// The Incident Core extension (OASIS CTI common objects).
pub const INCIDENT_EXTENSION: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// The extension that defines custos's `cryptocurrency-wallet` cyber-observable (STIX 2.1 has
/// none; the type and its `value` are as OpenCTI names them).
pub const WALLET_EXTENSION: &str = "extension-definition--1296b99a-6e5b-419f-987b-2fd221576e0c";
/// The extension that defines custos's `ssh-key` cyber-observable (an SSH public key by its
/// OpenSSH SHA-256 fingerprint).
pub const SSH_KEY_EXTENSION: &str = "extension-definition--f88124a7-3583-4b57-bd2f-c1dde84aa6aa";
/// The identity that authors custos's extension definitions (the same at every provider, so
/// that one definition has one id everywhere).
pub const CUSTOS_IDENTITY: &str = "identity--166b1798-c07c-408e-80d0-b61a27271f47";
/// When custos's extension definitions were made (their one version).
const DEFINED: &str = "2026-12-06T00:00:00.000Z";
/// The namespace of the ids of cyber-observables (STIX 2.1, 2.9).
const SCO_NAMESPACE: Uuid = Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// A Traffic Light Protocol 2.0 level: who a recipient may pass an object on to.
// Levels order from the least to the most restrictive (`Clear` < `Red`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    /// No limit on disclosure.
    Clear,
    /// The recipient's community.
    Green,
    /// The recipient's organisation and its clients, on a need-to-know basis.
    Amber,
    /// The recipient's organisation only.
    AmberStrict,
    /// The people it was given to, no one else.
    Red,
}

impl Tlp {
    /// The level as TLP 2.0 writes it (`amber+strict`).
    pub fn word(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The id of the level's marking definition, as OASIS published them.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The level's marking definition.
    pub fn marking(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": SPEC_VERSION,
            "id": self.marking_id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": format!("TLP:{}", self.word().to_uppercase()),
            "extensions": {
                TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": self.word()}
            }
        })
    }

    /// The level a marking definition's id stands for, if it is a TLP 2.0 one.
    pub fn of_marking(id: &str) -> Option<Tlp> {
        [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ]
        .into_iter()
        .find(|t| t.marking_id() == id)
    }
}

/// A STIX timestamp: RFC 3339 in UTC, to the millisecond.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An object's version, as a collection orders them: its `modified`, else its `created`, as
/// RFC 3339 in UTC to the microsecond (so that versions order as text). `None` for an object
/// with neither (a cyber-observable: its version is when it was added).
pub fn version_of(o: &Value) -> Option<String> {
    let t = o
        .get("modified")
        .or_else(|| o.get("created"))
        .and_then(Value::as_str)?;
    let t = DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc);
    Some(t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// A fresh id for a domain or relationship object of `kind`.
pub fn new_id(kind: &str) -> String {
    format!("{kind}--{}", Uuid::new_v4())
}

/// The ids of a shared case's objects, made once and kept, with when they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseIds {
    pub incident: String,
    pub indicator: String,
    pub sighting: String,
    pub relationship: String,
    pub created: DateTime<Utc>,
    /// The TLP level the objects were last shared under, and since when: a new level is a new
    /// version (one id and version never carry two markings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp_at: Option<DateTime<Utc>>,
    /// The indicator id of each domain the report named.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub domains: std::collections::BTreeMap<String, String>,
    /// The indicator and sighting ids of each access address of the account shared (a second
    /// person approved), by address.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub addresses: std::collections::BTreeMap<String, (String, String)>,
    /// The indicator id of each wallet the report named (`chain:address`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub wallets: std::collections::BTreeMap<String, String>,
    /// The indicator and sighting ids of each SSH key the account closed for abuse used (a
    /// second person approved), by fingerprint.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub ssh_keys: std::collections::BTreeMap<String, (String, String)>,
}

impl CaseIds {
    pub fn new(created: DateTime<Utc>) -> Self {
        CaseIds {
            incident: new_id("incident"),
            indicator: new_id("indicator"),
            sighting: new_id("sighting"),
            relationship: new_id("relationship"),
            created,
            tlp: None,
            tlp_at: None,
            addresses: Default::default(),
            domains: Default::default(),
            wallets: Default::default(),
            ssh_keys: Default::default(),
        }
    }
}

/// The provider's identity.
pub fn identity(id: &str, name: &str, created: DateTime<Utc>) -> Value {
    json!({
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": id,
        "created": timestamp(created),
        "modified": timestamp(created),
        "name": name,
        "identity_class": "organization",
        "sectors": ["technology"],
    })
}

/// A cyber-observable with one contributing property, `value`, and the id STIX derives from
/// it (UUIDv5 of the canonical JSON `{"value": …}` in the observables' namespace).
pub fn observable(kind: &str, value: &str) -> Value {
    let name = serde_json::to_string(&json!({ "value": value })).unwrap_or_default();
    json!({
        "type": kind,
        "spec_version": SPEC_VERSION,
        "id": format!("{kind}--{}", Uuid::new_v5(&SCO_NAMESPACE, name.as_bytes())),
        "value": value,
    })
}

/// An address as a cyber-observable (`ipv4-addr` or `ipv6-addr`).
pub fn address(ip: IpAddr) -> Value {
    observable(
        if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        },
        &ip.to_string(),
    )
}

/// custos's definitions of the cyber-observables STIX 2.1 lacks: the identity that authors
/// them and the two extension definitions (`cryptocurrency-wallet`, `ssh-key`), marked
/// TLP:CLEAR, with that marking. A bundle that holds such an observable holds these.
pub fn definitions() -> Vec<Value> {
    let clear = Tlp::Clear.marking_id();
    let definition = |id: &str, name: &str, description: &str, schema: &str| {
        json!({
            "type": "extension-definition",
            "spec_version": SPEC_VERSION,
            "id": id,
            "created_by_ref": CUSTOS_IDENTITY,
            "created": DEFINED,
            "modified": DEFINED,
            "name": name,
            "description": description,
            "schema": schema,
            "version": "1.0.0",
            "extension_types": ["new-sco"],
            "object_marking_refs": [clear],
        })
    };
    vec![
        Tlp::Clear.marking(),
        json!({
            "type": "identity",
            "spec_version": SPEC_VERSION,
            "id": CUSTOS_IDENTITY,
            "created": DEFINED,
            "modified": DEFINED,
            "name": "custos",
            "description": "The open EO 13984 compliance system; author of the definitions of the observables it shares that STIX 2.1 lacks.",
            "identity_class": "system",
            "object_marking_refs": [clear],
        }),
        definition(
            WALLET_EXTENSION,
            "cryptocurrency-wallet",
            "A virtual-currency wallet address, as an abuse report names it.",
            "A cyber-observable of type `cryptocurrency-wallet`: `value` (required, string), the \
             address as its chain writes it (EVM addresses in lowercase hex with `0x`); `chain` \
             (string), the chain in lowercase (`bitcoin`, `ethereum`, `litecoin`, `tron`, \
             `solana`, `xrp`). Patterns compare `cryptocurrency-wallet:value`.",
        ),
        definition(
            SSH_KEY_EXTENSION,
            "ssh-key",
            "An SSH public key, by the fingerprint OpenSSH prints for it.",
            "A cyber-observable of type `ssh-key`: `fingerprint_sha256` (required, string), \
             `SHA256:` and the unpadded standard base64 of the SHA-256 of the key's wire \
             encoding, as `ssh-keygen -l` prints it. Patterns compare \
             `ssh-key:fingerprint_sha256`.",
        ),
    ]
}

/// The id of one of custos's own cyber-observables of `kind` whose identifying property is
/// `value`: a UUIDv4 made of the SHA-256 of the kind and the value, so that one wallet or key
/// has one id wherever custos writes it, as a UUIDv5 gives a standard observable. (The
/// validator asks observables the specification does not define for UUIDv4 ids, and refuses
/// a UUIDv5.)
pub fn defined_id(kind: &str, value: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("custos {kind} {value}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!(
        "{kind}--{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

/// Whether `id` is one of custos's definitions (its identity, its extension definitions).
pub fn is_definition(id: &str) -> bool {
    [CUSTOS_IDENTITY, WALLET_EXTENSION, SSH_KEY_EXTENSION].contains(&id)
}

/// One of custos's own cyber-observables (`kind`, defined by `extension`), its identifying
/// property `key` being `value`, with `more` properties.
fn defined(kind: &str, extension: &str, key: &str, value: &str, more: Value) -> Value {
    let mut o = json!({
        "type": kind,
        "spec_version": SPEC_VERSION,
        "id": defined_id(kind, value),
        key: value,
        "extensions": { extension: {"extension_type": "new-sco"} },
    });
    if let (Some(o), Value::Object(m)) = (o.as_object_mut(), more) {
        o.extend(m);
    }
    o
}

/// A quoted string in a STIX pattern.
fn quoted(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// What every object custos makes carries: its type and id, its times, its author and its
/// marking; `more` adds the object's own properties.
struct Made<'a> {
    identity: &'a str,
    tlp: Tlp,
    created: String,
    modified: String,
}

impl<'a> Made<'a> {
    /// Objects created by `identity` at `created`, marked `tlp`, their version `changed`
    /// (never before they were created).
    fn new(identity: &'a str, tlp: Tlp, created: DateTime<Utc>, changed: DateTime<Utc>) -> Self {
        Made {
            identity,
            tlp,
            created: timestamp(created),
            modified: timestamp(changed.max(created)),
        }
    }

    fn object(&self, kind: &str, id: &str, more: Value) -> Value {
        let mut o = json!({
            "type": kind,
            "spec_version": SPEC_VERSION,
            "id": id,
            "created": self.created,
            "modified": self.modified,
            "created_by_ref": self.identity,
            "object_marking_refs": [self.tlp.marking_id()],
        });
        if let (Some(o), Value::Object(m)) = (o.as_object_mut(), more) {
            o.extend(m);
        }
        o
    }

    /// A cyber-observable, marked.
    fn marked(&self, mut sco: Value) -> Value {
        sco["object_marking_refs"] = json!([self.tlp.marking_id()]);
        sco
    }

    /// An indicator of malicious activity matching `pattern`.
    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &self,
        id: &str,
        name: String,
        description: String,
        pattern: String,
        valid: (DateTime<Utc>, DateTime<Utc>),
        label: &str,
        revoked: bool,
    ) -> Value {
        self.object(
            "indicator",
            id,
            json!({
                "name": name,
                "description": description,
                "indicator_types": ["malicious-activity"],
                "pattern": pattern,
                "pattern_type": "stix",
                "pattern_version": SPEC_VERSION,
                "valid_from": timestamp(valid.0),
                "valid_until": timestamp(valid.1),
                "labels": [label],
                "revoked": revoked,
            }),
        )
    }

    /// The provider's sighting of indicator `of`: how many times, first and last.
    fn sighting(
        &self,
        id: &str,
        of: &str,
        count: u32,
        seen: (DateTime<Utc>, DateTime<Utc>),
        revoked: bool,
    ) -> Value {
        self.object(
            "sighting",
            id,
            json!({
                "sighting_of_ref": of,
                "count": count.max(1),
                "first_seen": timestamp(seen.0),
                // STIX wants the last after the first.
                "last_seen": timestamp(seen.1.max(seen.0 + chrono::Duration::milliseconds(1))),
                "where_sighted_refs": [self.identity],
                "revoked": revoked,
            }),
        )
    }
}

/// When an indicator last seen at `last` stops being valid: `days` (at least one) after.
fn valid_until(last: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    last + chrono::Duration::days(i64::from(days.max(1)))
}

/// The STIX pattern that matches an address.
pub fn address_pattern(ip: IpAddr) -> String {
    let kind = if ip.is_ipv4() {
        "ipv4-addr"
    } else {
        "ipv6-addr"
    };
    format!("[{kind}:value = '{ip}']")
}

/// What a shared case is made of: the facts of the case, none of them personal.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    /// The ids its objects have (had, when shared before).
    pub ids: CaseIds,
    /// The category's word (`phishing`).
    pub category: String,
    /// The address the abuse came from, when the report named one.
    pub ip: Option<IpAddr>,
    /// The domains the abuse used, each with its indicator's id.
    pub domains: Vec<(String, String)>,
    /// The wallets the abuse used (`chain:address`), each with its indicator's id.
    pub wallets: Vec<(String, String)>,
    pub occurred_at: DateTime<Utc>,
    /// How long the indicator is valid after the abuse.
    pub valid_days: u32,
    /// Closed for abuse (the incident is confirmed) or still open.
    pub confirmed: bool,
    pub closed: bool,
    /// Dismissed (no abuse, or not this account's): the indicator and the sighting are revoked
    /// and the incident a false positive, so that peers drop what they took in.
    pub dismissed: bool,
    /// How many reports of this address the provider has.
    pub reports: u32,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// The objects a case is shared as: the indicator of its address (with the address itself)
/// and its sighting, the incident, and the relationship between them, each created by
/// `identity` and marked `tlp`. Each was created when the case's ids were made
/// (`f.ids.created`); its version is the case's last change, so that an unchanged case makes
/// the same versions again, and a changed one new versions.
pub fn case_objects(f: &CaseFacts, identity: &str, tlp: Tlp, changed: DateTime<Utc>) -> Vec<Value> {
    let m = Made::new(
        identity,
        tlp,
        f.ids.created,
        changed.max(f.ids.tlp_at.unwrap_or(f.ids.created)),
    );
    let what = f.category.replace('_', " ");
    let valid = (
        f.occurred_at,
        f.occurred_at + chrono::Duration::days(i64::from(f.valid_days.max(1))),
    );
    let determination = if f.dismissed {
        "false-positive"
    } else if f.confirmed {
        "confirmed"
    } else {
        "suspected"
    };
    let mut out = vec![m.object(
        "incident",
        &f.ids.incident,
        json!({
            "name": format!("{what} reported to the provider"),
            "description": "Abuse of the provider's infrastructure, as its abuse desk handled it.",
            "labels": [f.category],
            "extensions": {
                INCIDENT_EXTENSION: {
                    "extension_type": "property-extension",
                    "determination": determination,
                    "investigation_status": if f.closed { "closed" } else { "open" },
                }
            }
        }),
    )];
    if let Some(ip) = f.ip {
        let indicator = &f.ids.indicator;
        out.extend([
            m.marked(address(ip)),
            m.indicator(
                indicator,
                format!("{what} from {ip}"),
                format!("Abuse ({what}) reported to the provider from this address."),
                address_pattern(ip),
                valid,
                &f.category,
                f.dismissed,
            ),
            m.sighting(
                &f.ids.sighting,
                indicator,
                f.reports,
                (f.first_seen, f.last_seen),
                f.dismissed,
            ),
            m.object(
                "relationship",
                &f.ids.relationship,
                json!({"relationship_type": "related-to", "source_ref": indicator,
                    "target_ref": f.ids.incident}),
            ),
        ]);
    }
    for (domain, indicator) in &f.domains {
        out.extend([
            m.marked(observable("domain-name", domain)),
            m.indicator(
                indicator,
                format!("{what} with {domain}"),
                format!("Abuse ({what}) reported to the provider used this domain."),
                format!("[domain-name:value = {}]", quoted(domain)),
                valid,
                &f.category,
                f.dismissed,
            ),
        ]);
    }
    for (wallet, indicator) in &f.wallets {
        let (chain, address) = wallet.split_once(':').unwrap_or(("", wallet));
        out.extend([
            m.marked(defined(
                "cryptocurrency-wallet",
                WALLET_EXTENSION,
                "value",
                address,
                json!({"chain": chain}),
            )),
            m.indicator(
                indicator,
                format!("{what} with {chain} wallet {address}"),
                format!("Abuse ({what}) reported to the provider used this wallet."),
                format!("[cryptocurrency-wallet:value = {}]", quoted(address)),
                valid,
                &f.category,
                f.dismissed,
            ),
        ]);
    }
    out
}

/// A network several shared reports fall in.
#[derive(Debug, Clone)]
pub struct NetworkFacts {
    /// The network, `198.51.100.0/24` (IPv6: a /48).
    pub network: String,
    /// The indicator's and the sighting's ids.
    pub ids: (String, String),
    pub created: DateTime<Utc>,
    /// The last change (a report joined or left): the objects' version.
    pub changed: DateTime<Utc>,
    /// How many addresses, and how many reports, of the network were shared.
    pub addresses: u32,
    pub reports: u32,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The category most of its reports are.
    pub category: String,
    /// Fewer addresses than make a network now (reports were dismissed): withdrawn.
    pub revoked: bool,
}

/// The objects of a network: the network as an address observable (STIX writes a network as an
/// `ipv4-addr` or `ipv6-addr` in CIDR notation), an indicator of any address in it, valid from
/// its first report to `valid_days` after its last, and the provider's sighting.
pub fn network_objects(f: &NetworkFacts, identity: &str, tlp: Tlp, valid_days: u32) -> Vec<Value> {
    let m = Made::new(identity, tlp, f.created, f.changed);
    let kind = if f.network.contains(':') {
        "ipv6-addr"
    } else {
        "ipv4-addr"
    };
    let what = f.category.replace('_', " ");
    let until = valid_until(f.last_seen, valid_days);
    vec![
        m.marked(observable(kind, &f.network)),
        m.indicator(
            &f.ids.0,
            format!("{what} from network {}", f.network),
            format!(
                "{} addresses of this network were reported to the provider for abuse ({} reports).",
                f.addresses, f.reports
            ),
            format!("[{kind}:value ISSUBSET {}]", quoted(&f.network)),
            (f.first_seen, until),
            &f.category,
            f.revoked,
        ),
        m.sighting(
            &f.ids.1,
            &f.ids.0,
            f.reports,
            (f.first_seen, f.last_seen),
            f.revoked,
        ),
    ]
}

/// The network an address falls in for aggregation: its /24 (IPv6: its /48).
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            format!("{net}/48")
        }
    }
}

/// What of an account closed for abuse is shared (a second person approved): an address it
/// connected from, or an SSH key it used (`SHA256:…`).
#[derive(Debug, Clone)]
pub enum AccountPart {
    Address(IpAddr),
    SshKey(String),
}

/// How an account used one [`AccountPart`]: the events of the ledger that carry it.
#[derive(Debug, Clone, Copy)]
pub struct Uses {
    pub count: u32,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// The objects of a part of an account closed for abuse: the address or the key, an indicator
/// valid from its first use to `valid_days` after its last, and the provider's sighting of it
/// (`ids`: the indicator's and the sighting's; `made`: author, level, created, changed).
pub fn account_part_objects(
    part: &AccountPart,
    u: &Uses,
    ids: &(String, String),
    category: &str,
    valid_days: u32,
    made: (&str, Tlp, DateTime<Utc>, DateTime<Utc>),
) -> Vec<Value> {
    let (identity, tlp, created, changed) = made;
    let m = Made::new(identity, tlp, created, changed);
    let what = category.replace('_', " ");
    let (sco, name, description, pattern) = match part {
        AccountPart::Address(ip) => (
            address(*ip),
            format!("{what} account's access from {ip}"),
            format!(
                "An account closed for abuse ({what}) connected to the provider from this address."
            ),
            address_pattern(*ip),
        ),
        AccountPart::SshKey(f) => (
            defined(
                "ssh-key",
                SSH_KEY_EXTENSION,
                "fingerprint_sha256",
                f,
                json!({}),
            ),
            format!("{what} account's SSH key {f}"),
            format!("An account closed for abuse ({what}) used this SSH key at the provider."),
            format!("[ssh-key:fingerprint_sha256 = {}]", quoted(f)),
        ),
    };
    vec![
        m.marked(sco),
        m.indicator(
            &ids.0,
            name,
            description,
            pattern,
            (u.first_seen, valid_until(u.last_seen, valid_days)),
            category,
            false,
        ),
        m.sighting(&ids.1, &ids.0, u.count, (u.first_seen, u.last_seen), false),
    ]
}

/// A bundle of objects.
pub fn bundle(objects: Vec<Value>) -> Value {
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", Uuid::new_v4()),
        "objects": objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_takes_the_id_the_specification_derives() {
        // As the OASIS `stix2` library derives it (`stix2.IPv4Address(value=…).id`).
        let a = address("198.51.100.3".parse().unwrap());
        assert_eq!(a["type"], "ipv4-addr");
        assert_eq!(a["id"], "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    }

    #[test]
    fn a_wallet_or_key_has_one_id_everywhere_a_version_4_one() {
        let a = defined_id(
            "cryptocurrency-wallet",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        );
        assert_eq!(
            a,
            defined_id(
                "cryptocurrency-wallet",
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
            )
        );
        assert_ne!(
            a,
            defined_id(
                "cryptocurrency-wallet",
                "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"
            )
        );
        let u = Uuid::parse_str(a.strip_prefix("cryptocurrency-wallet--").unwrap()).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn a_network_is_its_slash_24_or_slash_48() {
        assert_eq!(
            network_of("198.51.100.77".parse().unwrap()),
            "198.51.100.0/24"
        );
        assert_eq!(
            network_of("2001:db8:abcd:12::5".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
        assert_eq!(quoted("a'b\\c"), "'a\\'b\\\\c'");
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::Clear < Tlp::Green);
    }

    #[test]
    fn versions_order_as_text() {
        let o =
            json!({"created": "2026-12-01T10:00:00Z", "modified": "2026-12-02T10:00:00.5+01:00"});
        assert_eq!(version_of(&o).unwrap(), "2026-12-02T09:00:00.500000Z");
        assert_eq!(version_of(&json!({"value": "x"})), None);
        assert_eq!(
            Tlp::of_marking(Tlp::AmberStrict.marking_id()),
            Some(Tlp::AmberStrict)
        );
        assert_eq!(Tlp::AmberStrict.marking()["name"], "TLP:AMBER+STRICT");
    }
}
