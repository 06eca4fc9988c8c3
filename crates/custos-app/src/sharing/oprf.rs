//! An oblivious look-up for low-entropy identifiers (RFC 9497 OPRF, ristretto255-SHA512): a
//! keyed set of phone numbers or IPv4 addresses could be brute-forced by anyone holding the
//! key, so for these this provider keeps its own OPRF key and publishes only the OPRF outputs
//! of its values (the phones of customers closed for abuse, the addresses abuse closed for
//! abuse came from). A peer blinds each of its own values, has this server evaluate the
//! blinded element (learning nothing of the value), unblinds and finalises, and looks the
//! output up in the published set. Each evaluation is one guess: the server limits them per
//! peer (`custos_server`), which is what makes guessing the whole space slow.
//!
//! Inputs are the canonical forms of the keyed sets (`phone:+4915112345678`) and
//! `ipv4:203.0.113.66`.

use chrono::{DateTime, Utc};
use custos_core::abuse::Action;
use custos_store::{DocumentMeta, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voprf::{BlindedElement, OprfClient, OprfServer, Ristretto255};

use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::App;

/// The suite, as RFC 9497 names it.
pub const SUITE: &str = "ristretto255-SHA512";
/// The most blinded elements one request evaluates.
pub const MAX_BATCH: usize = 100;
/// What the key is derived with (RFC 9497 DeriveKeyPair's `info`).
const KEY_INFO: &[u8] = b"custos oprf v1";
const KEY_OWNER: &str = "oprf";

/// What a set is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OprfKind {
    /// Phones of customers closed for abuse.
    Phone,
    /// IPv4 addresses abuse came from, on cases closed for abuse.
    Ipv4,
}

/// The OPRF outputs of this provider's values of one kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OprfSet {
    pub suite: String,
    pub kind: OprfKind,
    /// Which of this provider's OPRF keys made them.
    pub key_version: i64,
    pub generated_at: DateTime<Utc>,
    /// The outputs (64 bytes), lowercase hex, sorted.
    pub outputs: Vec<String>,
}

/// The server's evaluations of blinded elements, in the order given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evaluated {
    pub suite: String,
    pub key_version: i64,
    /// Each 32 bytes, lowercase hex.
    pub evaluated_elements: Vec<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> Error {
    Error::invalid(field, why.into())
}

/// A client's side of one look-up: the blinded element to send, and what unblinds the answer.
pub struct Blinded {
    pub element: String,
    state: OprfClient<Ristretto255>,
}

impl std::fmt::Debug for Blinded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blinded")
            .field("element", &self.element)
            .finish_non_exhaustive()
    }
}

/// Blinds `input` for the server.
pub fn blind(input: &[u8]) -> Result<Blinded> {
    let r = OprfClient::<Ristretto255>::blind(input, &mut rand::rngs::OsRng)
        .map_err(|_| invalid("input", "is empty or too long"))?;
    Ok(Blinded {
        element: hex::encode(r.message.serialize()),
        state: r.state,
    })
}

/// Unblinds and finalises the server's evaluation of `input`: the OPRF output, hex.
pub fn finalize(b: &Blinded, input: &[u8], evaluated: &str) -> Result<String> {
    let bytes = hex::decode(evaluated).map_err(|_| invalid("evaluated_elements", "is hex"))?;
    let e = voprf::EvaluationElement::<Ristretto255>::deserialize(&bytes)
        .map_err(|_| invalid("evaluated_elements", "is not a ristretto255 element"))?;
    let out = b
        .state
        .finalize(input, &e)
        .map_err(|_| invalid("input", "is empty or too long"))?;
    Ok(hex::encode(out))
}

impl App {
    /// This provider's OPRF key (made the first time), and its version.
    async fn oprf_server(&self) -> Result<(OprfServer<Ristretto255>, i64)> {
        // Read and made under the lock: two first calls make one key.
        let _once = self.once.lock().await;
        let latest = self
            .store
            .documents(Some(KEY_OWNER), Some("oprf_key"))
            .await?
            .into_iter()
            .max_by_key(|d| d.version);
        let (seed, version) = match latest {
            Some(m) => (self.store.document(&m.id).await?.1, m.version),
            None => {
                let seed = custos_store::crypto::SecretKey::generate()
                    .expose()
                    .to_vec();
                let m = self
                    .store
                    .add_document(
                        &DocumentMeta {
                            id: String::new(),
                            owner: KEY_OWNER.into(),
                            kind: "oprf_key".into(),
                            version: 0,
                            uploaded_at: self.now(),
                            uploaded_by: "system".into(),
                            file_name: "seed".into(),
                            media_type: "application/octet-stream".into(),
                            sha256: String::new(),
                            size: 32,
                        },
                        &seed,
                    )
                    .await?;
                (seed, m.version)
            }
        };
        let s = OprfServer::<Ristretto255>::new_from_seed(&seed, KEY_INFO)
            .map_err(|_| Error::Internal("the OPRF key cannot be derived".into()))?;
        Ok((s, version))
    }

    /// Evaluates blinded elements for a peer (at most [`MAX_BATCH`]). Audited (how many,
    /// never what: the server cannot see it).
    pub async fn oprf_evaluate(&self, caller: &Caller, blinded: &[String]) -> Result<Evaluated> {
        caller.require(Permission::Taxii)?;
        if blinded.is_empty() || blinded.len() > MAX_BATCH {
            return Err(invalid(
                "blinded_elements",
                format!("1 to {MAX_BATCH} a request"),
            ));
        }
        let mut elements = vec![];
        for b in blinded {
            let bytes = hex::decode(b.trim())
                .map_err(|_| invalid("blinded_elements", "each is 32 bytes, hex"))?;
            elements.push(
                BlindedElement::<Ristretto255>::deserialize(&bytes).map_err(|_| {
                    invalid(
                        "blinded_elements",
                        "each is a ristretto255 element (32 bytes, hex)",
                    )
                })?,
            );
        }
        let (server, version) = self.oprf_server().await?;
        self.audit(
            &caller.actor(),
            None,
            "oprf_evaluate",
            &format!("{} element(s)", elements.len()),
        )
        .await?;
        Ok(Evaluated {
            suite: SUITE.into(),
            key_version: version,
            evaluated_elements: elements
                .iter()
                .map(|e| hex::encode(server.blind_evaluate(e).serialize()))
                .collect(),
        })
    }

    /// The OPRF outputs of this provider's values of `kind`. Reads the records of the
    /// customers closed for abuse (phones) or the evidence of the cases (addresses), audited.
    pub async fn oprf_set(&self, caller: &Caller, kind: OprfKind) -> Result<OprfSet> {
        caller.require(Permission::Taxii)?;
        let actor = caller.actor();
        self.audit(
            &actor,
            Some("the OPRF set peers look up"),
            "oprf_set",
            match kind {
                OprfKind::Phone => "phones",
                OprfKind::Ipv4 => "addresses",
            },
        )
        .await?;
        let closed: Vec<_> = self
            .abuse_cases(None)
            .await?
            .into_iter()
            .filter(|c| c.actions.iter().any(|t| t.action == Action::CloseForAbuse))
            .collect();
        let mut inputs: Vec<String> = vec![];
        match kind {
            OprfKind::Phone => {
                for id in closed.iter().filter_map(|c| c.customer_id.clone()) {
                    let c = match self.store.load_customer(&id).await {
                        Ok(c) => c.value,
                        Err(StoreError::NotFound(_) | StoreError::Destroyed(_)) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    inputs.extend(
                        super::keyed::canonical_forms(&c)
                            .into_iter()
                            .filter(|f| f.starts_with("phone:")),
                    );
                }
            }
            OprfKind::Ipv4 => {
                for doc in closed.iter().filter_map(|c| c.evidence_id.clone()) {
                    let (_, body) = self.store.document(&doc).await?;
                    let e: crate::abuse::Evidence = serde_json::from_slice(&body).map_err(|e| {
                        Error::Internal(format!("a stored abuse report's evidence: {e}"))
                    })?;
                    if let Some(ip) = e.ip.and_then(|i| i.parse::<std::net::Ipv4Addr>().ok()) {
                        inputs.push(format!("ipv4:{ip}"));
                    }
                }
            }
        }
        inputs.sort();
        inputs.dedup();
        let (server, version) = self.oprf_server().await?;
        let mut outputs = inputs
            .iter()
            .map(|i| {
                server
                    .evaluate(i.as_bytes())
                    .map(hex::encode)
                    .map_err(|_| Error::Internal("an OPRF evaluation failed".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        outputs.sort();
        Ok(OprfSet {
            suite: SUITE.into(),
            kind,
            key_version: version,
            generated_at: self.now(),
            outputs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 9497, Appendix A.1.1 (ristretto255-SHA512, OPRF mode): the key derived from the
    /// seed, the blinded elements evaluated, the outputs.
    #[test]
    fn rfc_9497_test_vectors() {
        let server =
            OprfServer::<Ristretto255>::new_from_seed(&[0xa3; 32], &h("74657374206b6579")).unwrap();
        for (input, blinded, evaluated, output) in [
            (
                "00",
                "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
                "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
                "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
            ),
            (
                "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
                "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
                "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
                "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
            ),
        ] {
            let b = BlindedElement::<Ristretto255>::deserialize(&h(blinded)).unwrap();
            assert_eq!(
                hex::encode(server.blind_evaluate(&b).serialize()),
                evaluated
            );
            assert_eq!(hex::encode(server.evaluate(&h(input)).unwrap()), output);
        }
    }

    #[test]
    fn a_blinded_look_up_gives_the_servers_own_output() {
        let server = OprfServer::<Ristretto255>::new_from_seed(&[7; 32], KEY_INFO).unwrap();
        let input = b"phone:+4915112345678";
        let b = blind(input).unwrap();
        let e =
            BlindedElement::<Ristretto255>::deserialize(&hex::decode(&b.element).unwrap()).unwrap();
        let evaluated = hex::encode(server.blind_evaluate(&e).serialize());
        assert_eq!(
            finalize(&b, input, &evaluated).unwrap(),
            hex::encode(server.evaluate(input).unwrap())
        );
    }
}

/// What an oblivious look-up at a peer came to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LookedUp {
    pub kind: OprfKind,
    /// Values asked about, and of those, how many the peer holds.
    pub checked: usize,
    pub found: usize,
    /// Values left unasked because the peer's hourly budget ran out (ask again later).
    pub left: usize,
    /// The `peer_signal` cases opened (own customers whose phone the peer holds).
    pub cases: Vec<String>,
    /// For a look-up of given values: whether the peer holds each, in the order given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<bool>,
}

impl App {
    /// Asks a peer's OPRF (`base`: the peer's server, `https://peer.example`) about values of
    /// `kind` without showing them: the given `values`, or with none, the phones of every own
    /// customer (read, audited), each the peer holds opening a `peer_signal` case.
    pub async fn oprf_lookup(
        &self,
        caller: &Caller,
        base: &str,
        creds: &super::pull::Credentials,
        kind: OprfKind,
        values: &[String],
    ) -> Result<LookedUp> {
        caller.require(Permission::Share)?;
        let actor = caller.actor();
        let base = super::pull::peer_url("from", base)?;
        let word = match kind {
            OprfKind::Phone => "phone",
            OprfKind::Ipv4 => "ipv4",
        };
        // (canonical input, the customer it is of)
        let mut inputs: Vec<(String, Option<custos_core::CustomerId>)> = vec![];
        if values.is_empty() {
            if kind != OprfKind::Phone {
                return Err(invalid("values", "name the addresses to look up"));
            }
            self.audit(
                &actor,
                Some("an oblivious look-up at a peer"),
                "oprf_lookup",
                "every customer's phone",
            )
            .await?;
            let mut pages = crate::service::CustomerPages::default();
            while let Some(ids) = pages.next(&*self.store).await? {
                for id in ids {
                    let c = match self.store.load_customer(&id).await {
                        Ok(c) => c.value,
                        Err(StoreError::NotFound(_) | StoreError::Destroyed(_)) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    for f in super::keyed::canonical_forms(&c) {
                        if f.starts_with("phone:") {
                            inputs.push((f, Some(id.clone())));
                        }
                    }
                }
            }
        } else {
            for v in values {
                let canonical = match kind {
                    OprfKind::Phone => {
                        let p = custos_ids::phone::check(v.trim())
                            .ok()
                            .and_then(|p| p.normalized)
                            .ok_or_else(|| invalid("values", "each is a phone number in E.164"))?;
                        format!(
                            "phone:{}",
                            custos_store::blind::normalise(
                                custos_store::blind::IndexKind::Phone,
                                &p
                            )
                        )
                    }
                    OprfKind::Ipv4 => format!(
                        "ipv4:{}",
                        v.trim()
                            .parse::<std::net::Ipv4Addr>()
                            .map_err(|_| invalid("values", "each is an IPv4 address"))?
                    ),
                };
                inputs.push((canonical, None));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Internal(format!("an HTTP client: {e}")))?;
        let get = |path: String| {
            client
                .get(base.join(&path).expect("a relative path"))
                .basic_auth(&creds.user, Some(&creds.secret))
        };
        let fail = |status: u16| match status {
            401 | 403 => invalid("credentials", format!("the peer refused them ({status})")),
            s => invalid("from", format!("the peer answered {s}")),
        };
        let resp = get(format!("taxii2/oprf/sets/{word}"))
            .send()
            .await
            .map_err(|_| invalid("from", "cannot reach the peer"))?;
        if resp.status().as_u16() != 200 {
            return Err(fail(resp.status().as_u16()));
        }
        let body = super::pull::capped(resp, 256 * 1024 * 1024).await?;
        let set: OprfSet = serde_json::from_slice(&body)
            .map_err(|_| invalid("from", "the peer's set is not an OPRF set"))?;
        if set.suite != SUITE {
            return Err(invalid("from", format!("the peer's suite is not {SUITE}")));
        }
        let theirs: std::collections::HashSet<String> = set.outputs.into_iter().collect();
        let mut out = LookedUp {
            kind,
            checked: 0,
            found: 0,
            left: 0,
            cases: vec![],
            held: vec![],
        };
        let mut found_customers = vec![];
        for (n, batch) in inputs.chunks(MAX_BATCH).enumerate() {
            let blinded = batch
                .iter()
                .map(|(i, _)| blind(i.as_bytes()))
                .collect::<Result<Vec<_>>>()?;
            let resp = client
                .post(base.join("taxii2/oprf/evaluate").expect("a relative path"))
                .basic_auth(&creds.user, Some(&creds.secret))
                .json(&serde_json::json!({
                    "blinded_elements": blinded.iter().map(|b| b.element.clone()).collect::<Vec<_>>()
                }))
                .send()
                .await
                .map_err(|_| invalid("from", "cannot reach the peer"))?;
            if resp.status().as_u16() == 429 {
                out.left = inputs.len() - n * MAX_BATCH;
                break;
            }
            if resp.status().as_u16() != 200 {
                return Err(fail(resp.status().as_u16()));
            }
            let body = super::pull::capped(resp, 1024 * 1024).await?;
            let e: Evaluated = serde_json::from_slice(&body)
                .map_err(|_| invalid("from", "the peer's evaluation is not one"))?;
            if e.evaluated_elements.len() != batch.len() {
                return Err(invalid(
                    "from",
                    "the peer evaluated another number of elements",
                ));
            }
            for ((b, (input, customer)), ev) in blinded.iter().zip(batch).zip(&e.evaluated_elements)
            {
                let hit = theirs.contains(&finalize(b, input.as_bytes(), ev)?);
                out.checked += 1;
                if hit {
                    out.found += 1;
                    if let Some(c) = customer {
                        found_customers.push(c.clone());
                    }
                }
                if values.is_empty() {
                    continue;
                }
                out.held.push(hit);
            }
        }
        found_customers.sort();
        found_customers.dedup();
        let publisher = base.host_str().unwrap_or("peer").to_owned();
        for c in &found_customers {
            let case = self
                .keyed_signal_of(
                    &actor,
                    &format!("oprf {publisher}"),
                    &publisher,
                    c,
                    &["phone".to_owned()],
                )
                .await?;
            out.cases.push(case.id);
        }
        Ok(out)
    }
}
