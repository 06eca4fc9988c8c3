//! The events the ledger keeps: an access or administrative action of an account, with the IP
//! address and time EO 13984 1(a)(ii)(D) asks for, and their canonical encoding (the Merkle
//! tree's leaves).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    Logout,
    ApiCall,
    Console,
    Ssh,
    AdminChange,
    KeyChange,
    BillingChange,
    Other,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Login,
        Action::Logout,
        Action::ApiCall,
        Action::Console,
        Action::Ssh,
        Action::AdminChange,
        Action::KeyChange,
        Action::BillingChange,
        Action::Other,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<Action> {
        Action::ALL.get(usize::from(c)).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Logout => "logout",
            Action::ApiCall => "api_call",
            Action::Console => "console",
            Action::Ssh => "ssh",
            Action::AdminChange => "admin_change",
            Action::KeyChange => "key_change",
            Action::BillingChange => "billing_change",
            Action::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One access or administrative action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub account_id: String,
    /// RFC 3339; kept in UTC to the nanosecond.
    pub time: DateTime<Utc>,
    /// An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is read as the IPv4 address it
    /// carries, so that one address has one form in the ledger.
    #[serde(deserialize_with = "canonical_ip")]
    pub ip: IpAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub action: Action,
    /// The system that reported it.
    pub source: String,
    /// A user within the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The SSH public key used (an `ssh` login, a `key_change` that added it), by the
    /// fingerprint OpenSSH prints: `SHA256:` and 43 characters of unpadded base64 (padding
    /// is taken, and dropped).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "ssh_fingerprint"
    )]
    pub ssh_key_fingerprint: Option<String>,
}

fn canonical_ip<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IpAddr, D::Error> {
    IpAddr::deserialize(d).map(|ip| ip.to_canonical())
}

fn ssh_fingerprint<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|v| {
            fingerprint_bytes(&v)
                .map(|b| fingerprint_text(&b))
                .ok_or_else(|| {
                    serde::de::Error::custom(
                        "must be `SHA256:` and the base64 of 32 bytes, as `ssh-keygen -l` prints it",
                    )
                })
        })
        .transpose()
}

/// The 32 bytes of an OpenSSH SHA-256 fingerprint (`SHA256:` and base64, padded or not).
pub fn fingerprint_bytes(v: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let b64 = v.trim().strip_prefix("SHA256:")?.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .ok()?;
    bytes.try_into().ok()
}

/// An SSH fingerprint as OpenSSH prints it: `SHA256:` and unpadded standard base64.
pub fn fingerprint_text(b: &[u8; 32]) -> String {
    use base64::Engine;
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
    )
}

/// Why an event is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

/// How far ahead of the clock of the system that records it a reported time may be: clock
/// skew, no more. Every door that takes reported times keeps this one bound: the ledger's
/// events (HTTP, files, NATS) and the accesses and verification results reported to the API.
pub const MAX_AHEAD: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Whether `time`, reported to a system whose clock reads `now`, is further ahead of it than
/// clock skew explains.
pub fn too_far_ahead(time: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    time > now + MAX_AHEAD
}

const MAX_ID: usize = 256;
const MAX_AGENT: usize = 1024;

fn check(field: &'static str, v: &str, max: usize, required: bool) -> Result<(), Invalid> {
    let bad = |reason: String| Err(Invalid { field, reason });
    if required && v.is_empty() {
        return bad("must not be empty".into());
    }
    if v.len() > max {
        return bad(format!("longer than {max} bytes"));
    }
    if v.chars().any(char::is_control) {
        return bad("contains control characters".into());
    }
    Ok(())
}

impl Event {
    /// Checks the limits every stored event keeps.
    pub fn validate(&self) -> Result<(), Invalid> {
        check("account_id", &self.account_id, MAX_ID, true)?;
        check("source", &self.source, MAX_ID, true)?;
        for (field, v, max) in [
            ("actor", &self.actor, MAX_ID),
            ("user_agent", &self.user_agent, MAX_AGENT),
            ("request_id", &self.request_id, MAX_ID),
        ] {
            if let Some(v) = v {
                check(field, v, max, true)?;
            }
        }
        if self.time.timestamp() < 0 {
            return Err(Invalid {
                field: "time",
                reason: "before 1970".into(),
            });
        }
        if let Some(f) = &self.ssh_key_fingerprint
            && fingerprint_bytes(f).map(|b| fingerprint_text(&b)).as_ref() != Some(f)
        {
            return Err(Invalid {
                field: "ssh_key_fingerprint",
                reason: "must be `SHA256:` and 43 characters of unpadded base64".into(),
            });
        }
        Ok(())
    }

    /// [`Event::validate`], and a time not [`too_far_ahead`] of `now`, the clock of the system
    /// that takes the event in: what every door checks. (Stored events are not checked against
    /// a clock: the log keeps none.)
    pub fn validate_at(&self, now: DateTime<Utc>) -> Result<(), Invalid> {
        self.validate()?;
        if too_far_ahead(self.time, now) {
            return Err(Invalid {
                field: "time",
                reason: "is in the future".into(),
            });
        }
        Ok(())
    }

    /// The canonical encoding, version 1: every field in a fixed order, integers big-endian,
    /// strings as a 16-bit length and UTF-8, optional fields behind a presence bitmap (an SSH
    /// key's fingerprint, bit 4, as its 32 bytes at the end). One event has exactly one
    /// encoding, and [`Event::decode`] refuses any other.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.account_id.len() + self.source.len());
        out.push(1);
        let mut present = 0u8;
        for (bit, on) in [
            self.port.is_some(),
            self.actor.is_some(),
            self.user_agent.is_some(),
            self.request_id.is_some(),
            self.ssh_key_fingerprint.is_some(),
        ]
        .into_iter()
        .enumerate()
        {
            if on {
                present |= 1 << bit;
            }
        }
        out.push(present);
        out.push(self.action.code());
        out.extend_from_slice(&self.time.timestamp().to_be_bytes());
        out.extend_from_slice(&self.time.timestamp_subsec_nanos().to_be_bytes());
        match self.ip {
            IpAddr::V4(v4) => {
                out.push(4);
                out.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                out.push(6);
                out.extend_from_slice(&v6.octets());
            }
        }
        if let Some(p) = self.port {
            out.extend_from_slice(&p.to_be_bytes());
        }
        for s in [Some(&self.account_id), Some(&self.source)]
            .into_iter()
            .chain([
                self.actor.as_ref(),
                self.user_agent.as_ref(),
                self.request_id.as_ref(),
            ])
            .flatten()
        {
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        if let Some(f) = self
            .ssh_key_fingerprint
            .as_deref()
            .and_then(fingerprint_bytes)
        {
            out.extend_from_slice(&f);
        }
        out
    }

    /// Decodes a canonical encoding; anything else (another version, a short or long buffer,
    /// a field out of range, bytes that would encode differently) is an error.
    pub fn decode(b: &[u8]) -> Result<Event, String> {
        let e = Self::parse(b)?;
        if e.encode() != b {
            return Err("not the canonical encoding".into());
        }
        Ok(e)
    }

    /// Reads an encoding without checking that it is the canonical one: for entries already
    /// checked when they were appended (queries read them by the thousand; `verify` checks
    /// them again with [`Event::decode`]).
    pub fn parse(b: &[u8]) -> Result<Event, String> {
        let mut r = Reader { b, at: 0 };
        if r.u8()? != 1 {
            return Err("unknown encoding version".into());
        }
        let present = r.u8()?;
        if present & 0xe0 != 0 {
            return Err("unknown optional fields".into());
        }
        let action = Action::from_code(r.u8()?).ok_or("unknown action")?;
        let secs = i64::from_be_bytes(r.take(8)?.try_into().map_err(|_| "short")?);
        let nanos = u32::from_be_bytes(r.take(4)?.try_into().map_err(|_| "short")?);
        let time = DateTime::from_timestamp(secs, nanos).ok_or("time out of range")?;
        let ip = match r.u8()? {
            4 => IpAddr::from(<[u8; 4]>::try_from(r.take(4)?).map_err(|_| "short")?),
            6 => IpAddr::from(<[u8; 16]>::try_from(r.take(16)?).map_err(|_| "short")?),
            _ => return Err("unknown address family".into()),
        };
        let port = if present & 1 != 0 {
            Some(u16::from_be_bytes(
                r.take(2)?.try_into().map_err(|_| "short")?,
            ))
        } else {
            None
        };
        let account_id = r.string()?;
        let source = r.string()?;
        let mut opt = |bit: u8| -> Result<Option<String>, String> {
            if present & (1 << bit) != 0 {
                r.string().map(Some)
            } else {
                Ok(None)
            }
        };
        let actor = opt(1)?;
        let user_agent = opt(2)?;
        let request_id = opt(3)?;
        let ssh_key_fingerprint = if present & (1 << 4) != 0 {
            Some(fingerprint_text(
                &<[u8; 32]>::try_from(r.take(32)?).map_err(|_| "short")?,
            ))
        } else {
            None
        };
        if r.at != b.len() {
            return Err("trailing bytes".into());
        }
        Ok(Event {
            account_id,
            time,
            ip,
            port,
            action,
            source,
            actor,
            user_agent,
            request_id,
            ssh_key_fingerprint,
        })
    }
}

/// The fields a query filters on, read from a canonical encoding without decoding it whole:
/// `(account id, (seconds, nanoseconds), address)`; `None` when the bytes are not an event of
/// encoding version 1 (a purged entry, say). A match is still decoded in full.
pub fn peek(b: &[u8]) -> Option<(&[u8], (i64, u32), IpAddr)> {
    if *b.first()? != 1 {
        return None;
    }
    let present = *b.get(1)?;
    let secs = i64::from_be_bytes(b.get(3..11)?.try_into().ok()?);
    let nanos = u32::from_be_bytes(b.get(11..15)?.try_into().ok()?);
    let (ip, mut at) = match *b.get(15)? {
        4 => (IpAddr::from(<[u8; 4]>::try_from(b.get(16..20)?).ok()?), 20),
        6 => (IpAddr::from(<[u8; 16]>::try_from(b.get(16..32)?).ok()?), 32),
        _ => return None,
    };
    if present & 1 != 0 {
        at += 2;
    }
    let len = usize::from(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let account = b.get(at + 2..at + 2 + len)?;
    Some((account, (secs, nanos), ip))
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).ok_or("overflow")?;
        let s = self.b.get(self.at..end).ok_or("truncated")?;
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn string(&mut self) -> Result<String, String> {
        let n = u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| "short")?);
        String::from_utf8(self.take(usize::from(n))?.to_vec()).map_err(|_| "not UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            account_id: "acc_1".into(),
            time: DateTime::parse_from_rfc3339("2026-11-24T09:00:00.123456789Z")
                .unwrap()
                .with_timezone(&Utc),
            ip: "2001:db8::1".parse().unwrap(),
            port: Some(22),
            action: Action::Ssh,
            source: "bastion".into(),
            actor: Some("root".into()),
            user_agent: None,
            request_id: Some("req-1".into()),
            ssh_key_fingerprint: None,
        }
    }

    #[test]
    fn an_ssh_key_fingerprint_is_kept_as_its_bytes_and_read_back_as_openssh_prints_it() {
        let without = event().encode();
        let mut e = event();
        let fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
        e.ssh_key_fingerprint = Some(fp.into());
        e.validate().unwrap();
        let b = e.encode();
        // The fingerprint is a bit and 32 bytes; an event without one encodes as before.
        assert_eq!(b.len(), without.len() + 32);
        assert_eq!(b[1], without[1] | 0x10);
        assert_eq!(Event::decode(&b).unwrap(), e);
        assert_eq!(
            Event::parse(&b[..b.len() - 1]).err(),
            Some("truncated".into())
        );
        // Padded is taken (and dropped); anything else is refused at the door.
        let padded: Event = serde_json::from_value(serde_json::json!({
            "account_id": "acc_1", "time": "2026-11-24T09:00:00Z", "ip": "192.0.2.7",
            "action": "ssh", "source": "bastion", "ssh_key_fingerprint": format!("{fp}="),
        }))
        .unwrap();
        assert_eq!(padded.ssh_key_fingerprint.as_deref(), Some(fp));
        for bad in [
            "MD5:16:27:ac",
            "SHA256:short",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
        ] {
            let r: Result<Event, _> = serde_json::from_value(serde_json::json!({
                "account_id": "acc_1", "time": "2026-11-24T09:00:00Z", "ip": "192.0.2.7",
                "action": "ssh", "source": "bastion", "ssh_key_fingerprint": bad,
            }));
            assert!(r.is_err(), "{bad}");
        }
        e.ssh_key_fingerprint = Some("SHA256:nope".into());
        assert_eq!(e.validate().unwrap_err().field, "ssh_key_fingerprint");
    }

    #[test]
    fn encoding_round_trips_and_is_canonical() {
        let e = event();
        let b = e.encode();
        assert_eq!(Event::decode(&b).unwrap(), e);
        let mut v4 = e.clone();
        v4.ip = "192.0.2.7".parse().unwrap();
        v4.port = None;
        v4.actor = None;
        assert_eq!(Event::decode(&v4.encode()).unwrap(), v4);
        // Any change to a byte either fails to decode or decodes to another event.
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x01;
            if let Ok(d) = Event::decode(&c) {
                assert_ne!(d, e, "byte {i}");
            }
        }
        let (acc, t, ip) = peek(&b).unwrap();
        assert_eq!(acc, b"acc_1");
        assert_eq!(t, (e.time.timestamp(), e.time.timestamp_subsec_nanos()));
        assert_eq!(ip, e.ip);
        assert_eq!(peek(&v4.encode()).unwrap().0, b"acc_1");
        assert!(peek(&vec![0; b.len()]).is_none());
        let mut long = b.clone();
        long.push(0);
        assert!(Event::decode(&long).is_err());
        assert!(Event::decode(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn limits() {
        let mut e = event();
        e.account_id = String::new();
        assert_eq!(e.validate().unwrap_err().field, "account_id");
        let mut e = event();
        e.user_agent = Some("x".repeat(2000));
        assert_eq!(e.validate().unwrap_err().field, "user_agent");
        let mut e = event();
        e.source = "a\nb".into();
        assert_eq!(e.validate().unwrap_err().field, "source");
        assert!(event().validate().is_ok());
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(Action::from_code(a.code()), Some(a));
        }
    }

    #[test]
    fn a_time_ahead_of_the_clock_is_refused() {
        let now = event().time;
        let check = |time: DateTime<Utc>| {
            let mut e = event();
            e.time = time;
            e.validate_at(now).map_err(|i| i.to_string())
        };
        assert_eq!(check(now), Ok(()));
        assert_eq!(check(now + MAX_AHEAD), Ok(()), "clock skew");
        let refused = Err("`time`: is in the future".to_owned());
        assert_eq!(
            check(now + MAX_AHEAD + chrono::TimeDelta::nanoseconds(1)),
            refused
        );
        for far in ["9999-12-31T00:00:00Z", "+10000-01-01T00:00:00Z"] {
            let t = serde_json::from_value(serde_json::json!(far)).unwrap();
            assert_eq!(check(t), refused, "{far}");
        }
        let mut old = event();
        old.time = DateTime::UNIX_EPOCH - chrono::TimeDelta::seconds(1);
        assert_eq!(old.validate_at(now).unwrap_err().field, "time");
    }

    #[test]
    fn an_ipv4_mapped_address_is_read_as_ipv4() {
        let read = |ip: &str| -> Event {
            let mut v = serde_json::to_value(event()).unwrap();
            v["ip"] = ip.into();
            serde_json::from_value(v).unwrap()
        };
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(read("::ffff:203.0.113.77").ip, v4);
        assert_eq!(read("::ffff:cb00:714d").ip, v4);
        assert_eq!(read("203.0.113.77").ip, v4);
        assert_eq!(
            read("::ffff:203.0.113.77").encode(),
            read("203.0.113.77").encode()
        );
        // Other IPv6 addresses stay as they are, IPv4-compatible ones included.
        for ip in ["2001:db8::1", "::203.0.113.77", "64:ff9b::cb00:714d"] {
            assert_eq!(read(ip).ip, ip.parse::<IpAddr>().unwrap(), "{ip}");
        }
    }
}
