//! The ledger of an installation: the access log (the control plane's events) and the audit
//! log (custos's own audit records), in `DIR/access` and `DIR/audit`, signed with one Ed25519
//! key kept in `DIR/signing.key` (created mode 0600 on first use).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::log::{LedgerError, Log, generate_key, verifier_key};

/// Which log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    Access,
    Audit,
}

impl Which {
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Access => "access",
            Which::Audit => "audit",
        }
    }

    pub fn parse(s: &str) -> Option<Which> {
        match s {
            "access" => Some(Which::Access),
            "audit" => Some(Which::Audit),
            _ => None,
        }
    }
}

/// Both logs.
#[derive(Debug)]
pub struct Ledger {
    /// Held for as long as the ledger is open: one writer process at a time.
    _lock: std::fs::File,
    dir: PathBuf,
    origin: String,
    vkey: String,
    pub access: Log,
    pub audit: Log,
}

/// The key file: the signed-note private key, created once.
fn signing_key(dir: &Path, name: &str) -> Result<String, LedgerError> {
    let path = dir.join("signing.key");
    match std::fs::read_to_string(&path) {
        Ok(k) => Ok(k.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (skey, _) = generate_key(name);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&path).map_err(|source| LedgerError::Io {
                context: format!("cannot create {}", path.display()),
                source,
            })?;
            f.write_all(skey.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|source| LedgerError::Io {
                    context: format!("cannot write {}", path.display()),
                    source,
                })?;
            Ok(skey)
        }
        Err(source) => Err(LedgerError::Io {
            context: format!("cannot read {}", path.display()),
            source,
        }),
    }
}

/// The verifier key of the ledger in `dir`, from its key file, without opening (or changing)
/// anything.
pub fn stored_verifier_key(dir: &Path) -> Result<String, LedgerError> {
    let path = dir.join("signing.key");
    let skey = std::fs::read_to_string(&path).map_err(|source| LedgerError::Io {
        context: format!("cannot read {}", path.display()),
        source,
    })?;
    verifier_key(skey.trim())
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`. `origin` names the installation, e.g.
    /// `custos.example.net/ledger`; the logs are `ORIGIN/access` and `ORIGIN/audit`.
    pub fn open(dir: &Path, origin: &str) -> Result<Ledger, LedgerError> {
        if origin.is_empty()
            || origin.contains(char::is_whitespace)
            || origin.contains('+')
            || origin.contains('\n')
        {
            return Err(LedgerError::Invalid(format!(
                "`{origin}` is not a log origin: no spaces, no `+`"
            )));
        }
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
        let lock_path = dir.join("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| LedgerError::Io {
                context: format!("cannot open {}", lock_path.display()),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(LedgerError::InUse),
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(LedgerError::Io {
                    context: format!("cannot lock {}", lock_path.display()),
                    source,
                });
            }
        }
        let skey = signing_key(dir, origin)?;
        let vkey = verifier_key(&skey)?;
        Ok(Ledger {
            _lock: lock,
            dir: dir.to_owned(),
            origin: origin.to_owned(),
            access: Log::open_with(
                &dir.join("access"),
                &format!("{origin}/access"),
                &skey,
                true,
            )?,
            audit: Log::open(&dir.join("audit"), &format!("{origin}/audit"), &skey)?,
            vkey,
        })
    }

    /// Whether both logs can take a batch now (see [`Log::writable`]).
    pub fn writable(&self) -> Result<(), LedgerError> {
        self.access.writable()?;
        self.audit.writable()
    }

    pub fn log(&self, which: Which) -> &Log {
        match which {
            Which::Access => &self.access,
            Which::Audit => &self.audit,
        }
    }

    /// The verifier key of both logs, in signed-note form.
    pub fn verifier_key(&self) -> &str {
        &self.vkey
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of one log.
    pub fn log_dir(&self, which: Which) -> PathBuf {
        self.dir.join(which.as_str())
    }
}
