//! Envelope encryption and blind indexes.
//!
//! Every customer has its own 256-bit data key (DEK). Personal data is sealed with it using
//! XChaCha20-Poly1305 (random 192-bit nonces, so no nonce bookkeeping), with associated data
//! that binds each ciphertext to its customer and purpose: a ciphertext moved to another row
//! does not open. The DEK is stored only wrapped by a key-encryption key (KEK) from a
//! [`Keyring`]; rotating the KEK re-wraps DEKs without touching the data. Deleting a DEK makes
//! the customer's data unreadable for good (crypto-shredding).
//!
//! Blind indexes are HMAC-SHA256 digests of normalised values under a key that never leaves
//! the keyring, so "which customers share this card?" is an exact-match lookup that decrypts
//! nothing and reveals nothing to whoever holds the database alone.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::StoreError;

const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// A 256-bit symmetric key, wiped from memory when dropped and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        SecretKey(k)
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; 32] = b
            .try_into()
            .map_err(|_| StoreError::Crypto("a key must be 32 bytes".into()))?;
        Ok(SecretKey(arr))
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Seals `plaintext` under `key`, bound to `aad`.
pub fn seal(key: &SecretKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
    let cipher = XChaCha20Poly1305::new(key.0.as_slice().into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens what [`seal`] produced; fails if the key, the associated data or any byte differs.
pub fn open(key: &SecretKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEAL_VERSION {
        return Err(StoreError::Crypto("sealed value is malformed".into()));
    }
    let cipher = XChaCha20Poly1305::new(key.0.as_slice().into());
    cipher
        .decrypt(
            XNonce::from_slice(&sealed[1..1 + NONCE_LEN]),
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad,
            },
        )
        .map_err(|_| StoreError::Crypto("sealed value does not authenticate".into()))
}

/// A data key as stored: wrapped, with the id of the KEK that wrapped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub kek_id: String,
    pub bytes: Vec<u8>,
}

/// A source of key-encryption keys. The default is [`FileKeyring`]; a KMS or Vault transit
/// backend implements the same trait.
pub trait Keyring: Send + Sync + std::fmt::Debug {
    /// Wraps a data key under the primary KEK.
    fn wrap(&self, dek: &SecretKey, aad: &[u8]) -> Result<WrappedKey, StoreError>;
    /// Unwraps a data key with whichever KEK wrapped it.
    fn unwrap(&self, w: &WrappedKey, aad: &[u8]) -> Result<SecretKey, StoreError>;
    /// The id of the KEK that new wraps use.
    fn primary_id(&self) -> String;
    /// Adds a new KEK and makes it primary; returns its id.
    fn rotate(&self) -> Result<String, StoreError>;
    /// Ties the keyring to the installation (database) `id`, refusing any other (see
    /// [`FileKeyring::bind`]); a keyring kept outside the installation (a KMS) may accept any.
    fn bind(&self, id: &str) -> Result<(), StoreError>;
    /// Forgets every KEK but `keep`, for good: whatever they wrapped, wherever a copy of it
    /// lies (a free page, a dead tuple, a WAL segment, a backup), can no longer be unwrapped.
    /// Refused unless `keep` is still the primary (another process rotated since). Returns the
    /// ids forgotten. Call it only once nothing stored still needs them
    /// ([`crate::Store::shred_keys`] does this).
    fn retire_all_but(&self, keep: &str) -> Result<Vec<String>, StoreError>;
    /// The key behind blind indexes and card fingerprints. It is not rotated with the KEKs:
    /// rotating it would need every index rebuilt from decrypted data.
    fn index_key(&self) -> &SecretKey;
}

#[derive(Serialize, Deserialize)]
struct KeyringFile {
    version: u32,
    primary: String,
    keks: BTreeMap<String, String>,
    index_key: String,
    /// The installation (database) whose keys this keyring holds: retiring keys for one
    /// database would destroy another's records, so a keyring serves one only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    installation: Option<String>,
}

#[derive(Debug)]
struct KeyringState {
    primary: String,
    keks: BTreeMap<String, SecretKey>,
    installation: Option<String>,
    /// The file as it was when read or written: another process that rotates or retires
    /// keys changes it, and this one reads it again before its next wrap.
    stamp: Option<FileStamp>,
}

/// What tells that a file changed: its inode (a rename replaces it), length and time.
type FileStamp = (u64, u64, Option<std::time::SystemTime>);

fn stamp(path: &Path) -> Option<FileStamp> {
    let m = fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((ino, m.len(), m.modified().ok()))
}

/// A keyring kept in a file readable only by its owner (mode 0600), created on first use.
#[derive(Debug)]
pub struct FileKeyring {
    path: PathBuf,
    state: RwLock<KeyringState>,
    index_key: SecretKey,
}

fn kek_id(n: usize) -> String {
    format!("kek-{n:04}")
}

/// The number of a KEK id (`kek-0007`: 7).
fn kek_number(id: &str) -> usize {
    id.strip_prefix("kek-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The keys of a keyring file, checked.
fn read_keyring(path: &Path) -> Result<(KeyringState, SecretKey), StoreError> {
    let text = fs::read_to_string(path)
        .map_err(|e| StoreError::Keyring(format!("cannot read {}: {e}", path.display())))?;
    let f: KeyringFile = serde_json::from_str(&text)
        .map_err(|e| StoreError::Keyring(format!("{} is not a keyring: {e}", path.display())))?;
    if f.version != 1 {
        return Err(StoreError::Keyring(format!(
            "{}: keyring version {} is not understood",
            path.display(),
            f.version
        )));
    }
    let mut keks = BTreeMap::new();
    for (id, k) in f.keks {
        let bytes = B64
            .decode(k)
            .map_err(|_| StoreError::Keyring(format!("KEK {id} is not base64")))?;
        keks.insert(id, SecretKey::from_bytes(&bytes)?);
    }
    if !keks.contains_key(&f.primary) {
        return Err(StoreError::Keyring(format!(
            "the primary KEK {} is not in the keyring",
            f.primary
        )));
    }
    let ik = B64
        .decode(f.index_key)
        .map_err(|_| StoreError::Keyring("the index key is not base64".into()))?;
    Ok((
        KeyringState {
            primary: f.primary,
            keks,
            installation: f.installation,
            stamp: None,
        },
        SecretKey::from_bytes(&ik)?,
    ))
}

impl FileKeyring {
    /// Opens the keyring at `path`, creating it with a fresh KEK and index key if it is absent.
    pub fn open_or_create(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            let mut keks = BTreeMap::new();
            keks.insert(kek_id(1), SecretKey::generate());
            let kr = FileKeyring {
                path: path.to_owned(),
                state: RwLock::new(KeyringState {
                    primary: kek_id(1),
                    keks,
                    installation: None,
                    stamp: None,
                }),
                index_key: SecretKey::generate(),
            };
            kr.persist()?;
            return Ok(kr);
        }
        warn_if_loose(path);
        let before = stamp(path);
        let (mut state, index_key) = read_keyring(path)?;
        state.stamp = before;
        Ok(FileKeyring {
            path: path.to_owned(),
            state: RwLock::new(state),
            index_key,
        })
    }

    /// Runs `f` holding the keyring's lock file, so that two processes never change the
    /// keyring from the same reading of it (two rotations would each make a KEK of the same
    /// id; one's re-wrapped keys would then be lost).
    fn locked<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let lock_path = self.path.with_extension("lock");
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let lock = opts.open(&lock_path).map_err(|e| {
            StoreError::Keyring(format!("cannot open {}: {e}", lock_path.display()))
        })?;
        lock.lock().map_err(|e| {
            StoreError::Keyring(format!("cannot lock {}: {e}", lock_path.display()))
        })?;
        let out = f();
        let _ = lock.unlock();
        out
    }

    /// Reads the file again if another process changed it since (a rotation, a retirement).
    fn refresh(&self) -> Result<(), StoreError> {
        let now = stamp(&self.path);
        if self.state.read().map_err(|_| poisoned())?.stamp == now {
            return Ok(());
        }
        let (mut fresh, index_key) = read_keyring(&self.path)?;
        if index_key.expose() != self.index_key.expose() {
            return Err(StoreError::Keyring(format!(
                "{} now holds another index key; restart with the keyring that made the indexes",
                self.path.display()
            )));
        }
        fresh.stamp = now;
        *self.state.write().map_err(|_| poisoned())? = fresh;
        Ok(())
    }

    fn persist(&self) -> Result<(), StoreError> {
        let st = self.state.read().map_err(|_| poisoned())?;
        let f = KeyringFile {
            version: 1,
            primary: st.primary.clone(),
            keks: st
                .keks
                .iter()
                .map(|(id, k)| (id.clone(), B64.encode(k.expose())))
                .collect(),
            index_key: B64.encode(self.index_key.expose()),
            installation: st.installation.clone(),
        };
        let text =
            serde_json::to_string_pretty(&f).map_err(|e| StoreError::Keyring(e.to_string()))?;
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| {
                StoreError::Keyring(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        // Write a new file with 0600 from the start, then rename over the old one, so the
        // keyring is never readable by others and never half-written.
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts
            .open(&tmp)
            .map_err(|e| StoreError::Keyring(format!("cannot write {}: {e}", tmp.display())))?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| StoreError::Keyring(format!("cannot write {}: {e}", tmp.display())))?;
        fs::rename(&tmp, &self.path)
            .map_err(|e| StoreError::Keyring(format!("cannot replace keyring: {e}")))?;
        if let Some(dir) = self.path.parent() {
            let _ = fs::File::open(dir).and_then(|d| d.sync_all());
        }
        drop(st);
        self.state.write().map_err(|_| poisoned())?.stamp = stamp(&self.path);
        Ok(())
    }

    /// Ties the keyring to the installation (database) `id`: the first time, it is written
    /// into the keyring; after that, any other installation is refused, since retiring keys
    /// for one would make the other's records unreadable for good.
    fn bind_unlocked(&self, id: &str) -> Result<(), StoreError> {
        self.refresh()?;
        let bound = self
            .state
            .read()
            .map_err(|_| poisoned())?
            .installation
            .clone();
        match bound {
            Some(b) if b == id => Ok(()),
            Some(b) => Err(StoreError::Keyring(format!(
                "{} holds the keys of another database (installation {b}; this one is {id}): \
                 give each database its own keyring (keyring_path)",
                self.path.display()
            ))),
            None => {
                self.state.write().map_err(|_| poisoned())?.installation = Some(id.to_owned());
                self.persist()
            }
        }
    }

    /// Adds a new KEK and makes it primary (see [`Keyring::rotate`]).
    pub fn rotate(&self) -> Result<String, StoreError> {
        <Self as Keyring>::rotate(self)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn poisoned() -> StoreError {
    StoreError::Keyring("keyring lock poisoned".into())
}

/// A keyring file that others than its owner may read is used, with a warning: the keys in it
/// decrypt every record.
fn warn_if_loose(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", m.permissions().mode() & 0o777),
                "the keyring file is readable by others than its owner: chmod 600 it"
            );
        }
    }
}

impl Keyring for FileKeyring {
    /// Adds a new KEK and makes it primary. Data keys wrapped by older KEKs still unwrap;
    /// [`crate::Store::rewrap_data_keys`] moves them to the new one.
    fn rotate(&self) -> Result<String, StoreError> {
        self.locked(|| {
            self.refresh()?;
            let id = {
                let mut st = self.state.write().map_err(|_| poisoned())?;
                let n = st.keks.keys().map(|k| kek_number(k)).max().unwrap_or(0);
                let id = kek_id(n + 1);
                st.keks.insert(id.clone(), SecretKey::generate());
                st.primary = id.clone();
                id
            };
            self.persist()?;
            Ok(id)
        })
    }

    fn bind(&self, id: &str) -> Result<(), StoreError> {
        self.locked(|| self.bind_unlocked(id))
    }

    fn retire_all_but(&self, keep: &str) -> Result<Vec<String>, StoreError> {
        self.locked(|| {
            self.refresh()?;
            let gone: Vec<String> = {
                let mut st = self.state.write().map_err(|_| poisoned())?;
                if st.primary != keep {
                    return Err(StoreError::Conflict(format!(
                        "the primary KEK is now {}, not {keep}: another process rotated the \
                         keyring; nothing retired",
                        st.primary
                    )));
                }
                let gone = st.keks.keys().filter(|k| *k != keep).cloned().collect();
                st.keks.retain(|k, _| k == keep);
                gone
            };
            if !gone.is_empty() {
                self.persist()?;
            }
            Ok(gone)
        })
    }

    fn wrap(&self, dek: &SecretKey, aad: &[u8]) -> Result<WrappedKey, StoreError> {
        // Never wrap under a KEK another process has retired.
        self.refresh()?;
        let st = self.state.read().map_err(|_| poisoned())?;
        let kek = st
            .keks
            .get(&st.primary)
            .ok_or_else(|| StoreError::Keyring("primary KEK missing".into()))?;
        Ok(WrappedKey {
            kek_id: st.primary.clone(),
            bytes: seal(kek, aad, dek.expose())?,
        })
    }

    fn unwrap(&self, w: &WrappedKey, aad: &[u8]) -> Result<SecretKey, StoreError> {
        // A KEK another process made, or retired, since this one read the file: the file is
        // read again when it changed (a stat otherwise), so a retired key is forgotten here too.
        self.refresh()?;
        let st = self.state.read().map_err(|_| poisoned())?;
        let kek = st.keks.get(&w.kek_id).ok_or_else(|| {
            StoreError::Keyring(format!("KEK {} is not in the keyring", w.kek_id))
        })?;
        let bytes = open(kek, aad, &w.bytes)?;
        SecretKey::from_bytes(&bytes)
    }

    fn primary_id(&self) -> String {
        self.state
            .read()
            .map(|s| s.primary.clone())
            .unwrap_or_default()
    }

    fn index_key(&self) -> &SecretKey {
        &self.index_key
    }
}

/// The per-label key derived from the index key.
pub fn derived_key(index_key: &SecretKey, label: &str) -> [u8; 32] {
    let mut sub = <Hmac<Sha256> as Mac>::new_from_slice(index_key.expose())
        .expect("HMAC takes keys of any length");
    sub.update(b"custos blind index v1:");
    sub.update(label.as_bytes());
    sub.finalize().into_bytes().into()
}

/// HMAC-SHA256 of `value` under a key derived from the index key for `label`, so digests of
/// different kinds of value never collide and one kind's digests say nothing about another's.
pub fn keyed_digest(index_key: &SecretKey, label: &str, value: &str) -> [u8; 32] {
    let derived = derived_key(index_key, label);
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes keys of any length");
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_binds_aad() {
        let k = SecretKey::generate();
        let s = seal(&k, b"cus_1", b"Lena Fischer").unwrap();
        assert_eq!(open(&k, b"cus_1", &s).unwrap(), b"Lena Fischer");
        assert!(open(&k, b"cus_2", &s).is_err());
        let mut flipped = s.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(open(&k, b"cus_1", &flipped).is_err());
        assert!(open(&SecretKey::generate(), b"cus_1", &s).is_err());
        assert!(open(&k, b"cus_1", &s[..10]).is_err());
    }

    #[test]
    fn keyring_is_created_private_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        let kr = FileKeyring::open_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let dek = SecretKey::generate();
        let w1 = kr.wrap(&dek, b"a").unwrap();
        let new = kr.rotate().unwrap();
        assert_eq!(new, "kek-0002");
        let w2 = kr.wrap(&dek, b"a").unwrap();
        assert_eq!(w2.kek_id, "kek-0002");
        let again = FileKeyring::open_or_create(&path).unwrap();
        assert_eq!(again.unwrap(&w1, b"a").unwrap().expose(), dek.expose());
        assert_eq!(again.unwrap(&w2, b"a").unwrap().expose(), dek.expose());
        assert_eq!(again.index_key().expose(), kr.index_key().expose());
    }

    #[test]
    fn two_processes_rotating_one_keyring_never_lose_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        let a = FileKeyring::open_or_create(&path).unwrap();
        let b = FileKeyring::open_or_create(&path).unwrap();
        let dek = SecretKey::generate();
        assert_eq!(Keyring::rotate(&a).unwrap(), "kek-0002");
        let under_a = a.wrap(&dek, b"x").unwrap();
        // The other process rotates from its own (stale) reading: a new id, not a second
        // kek-0002 with another key.
        assert_eq!(Keyring::rotate(&b).unwrap(), "kek-0003");
        assert_eq!(b.unwrap(&under_a, b"x").unwrap().expose(), dek.expose());
        // Retiring all but the KEK a process rotated to is refused once another rotated since.
        let refused = a.retire_all_but("kek-0002").unwrap_err().to_string();
        assert!(refused.contains("another process rotated"), "{refused}");
        assert_eq!(a.unwrap(&under_a, b"x").unwrap().expose(), dek.expose());
        assert_eq!(
            b.retire_all_but("kek-0003").unwrap(),
            vec!["kek-0001".to_owned(), "kek-0002".to_owned()]
        );
        // Gone for every process.
        assert!(a.unwrap(&under_a, b"x").is_err());
        assert!(
            FileKeyring::open_or_create(&path)
                .unwrap()
                .unwrap(&under_a, b"x")
                .is_err()
        );
    }

    #[test]
    fn a_broken_keyring_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        fs::write(&path, "{not json").unwrap();
        let err = FileKeyring::open_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("is not a keyring"), "{err}");
    }

    #[test]
    fn digests_are_separated_by_label() {
        let k = SecretKey::generate();
        assert_ne!(
            keyed_digest(&k, "email", "a@b"),
            keyed_digest(&k, "phone", "a@b")
        );
        assert_eq!(
            keyed_digest(&k, "email", "a@b"),
            keyed_digest(&k, "email", "a@b")
        );
    }
}
