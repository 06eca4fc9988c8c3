//! API key tokens: `custos_<id>_<secret>_<crc>`.
//!
//! The prefix makes a leaked key recognisable to secret scanners, the CRC-32 lets a typo be
//! told apart from a wrong key without a database lookup, and the id lets the server find the
//! one stored argon2id hash to check the secret against. Only that hash is stored; the token is
//! shown once, at creation.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::StoreError;

pub const PREFIX: &str = "custos_";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 40;

/// A parsed token.
#[derive(Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub id: &'a str,
    pub secret: &'a str,
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn crc(body: &str) -> String {
    format!("{:08x}", crc32fast::hash(body.as_bytes()))
}

/// A new token and the id and argon2id hash to store for it.
pub fn generate() -> Result<(String, String, String), StoreError> {
    let id = random(ID_LEN);
    let secret = random(SECRET_LEN);
    let body = format!("{PREFIX}{id}_{secret}");
    let token = format!("{body}_{}", crc(&body));
    Ok((token, id, hash_secret(&secret)?))
}

pub fn hash_secret(secret: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Crypto(format!("argon2: {e}")))
}

/// Checks a secret against a stored argon2id hash.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

/// Parses a token, checking its shape and checksum.
pub fn parse(token: &str) -> Option<Token<'_>> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, rest) = rest.split_once('_')?;
    let (secret, sum) = rest.rsplit_once('_')?;
    let ok = id.len() == ID_LEN
        && secret.len() == SECRET_LEN
        && id
            .bytes()
            .chain(secret.bytes())
            .all(|b| b.is_ascii_alphanumeric())
        && crc(&token[..token.len() - sum.len() - 1]) == sum;
    ok.then_some(Token { id, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_typos_are_caught() {
        let (t, id, hash) = generate().unwrap();
        let p = parse(&t).unwrap();
        assert_eq!(p.id, id);
        assert!(verify_secret(p.secret, &hash));
        assert!(!verify_secret("wrong", &hash));
        let mut typo = t.clone().into_bytes();
        typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
        assert!(parse(std::str::from_utf8(&typo).unwrap()).is_none());
        assert!(parse("custos_x_y_z").is_none());
        assert!(parse("").is_none());
    }
}
