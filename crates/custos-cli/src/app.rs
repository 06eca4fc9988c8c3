//! Opening what every command needs: the data directory, the keyring, the store (migrated),
//! the CIP policy and the service.

use std::sync::Arc;

use anyhow::{Context, Result};
use custos_app::{App as Service, system_clock};
use custos_core::CipPolicy;
use custos_store::{FileKeyring, SqlStore, Store};

use crate::config::Config;

pub struct App {
    pub keyring: Arc<FileKeyring>,
    pub store: Arc<SqlStore>,
    pub service: Service,
}

pub fn load_policy(config: &Config) -> Result<CipPolicy> {
    match &config.cip_policy {
        None => Ok(CipPolicy::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the CIP policy {}", p.display()))?;
            CipPolicy::from_toml(&text).with_context(|| format!("in {}", p.display()))
        }
    }
}

/// Opens the access ledger in the data directory (created on first use).
pub fn open_ledger(config: &Config) -> Result<custos_ledger::Ledger> {
    custos_ledger::Ledger::open(&config.ledger_dir(), &config.ledger_origin).with_context(|| {
        format!(
            "cannot open the ledger in {}",
            config.ledger_dir().display()
        )
    })
}

/// Directories of an installation made before files were created private are made so now
/// (0700), and its key files checked: one that others can read is warned about.
fn tighten(config: &Config) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [config.data_dir.clone(), config.ledger_dir()] {
            if let Ok(m) = std::fs::metadata(&dir)
                && m.is_dir()
                && m.permissions().mode() & 0o077 != 0
            {
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        let key = config.ledger_dir().join("signing.key");
        if let Ok(m) = std::fs::metadata(&key)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %key.display(),
                "the ledger's signing key is readable by others than its owner: chmod 600 it"
            );
        }
    }
}

impl App {
    /// Opens everything; applies pending migrations when `migrate` is set. While a server
    /// holds the ledger, a command still runs without it (its audit records reach the ledger
    /// through the server, and the ledger's part of its work waits for the server).
    pub async fn open(config: Config, migrate: bool) -> Result<App> {
        Self::open_with(config, migrate, false).await
    }

    /// Opens everything for a server: the ledger is needed, and one process only may hold
    /// it, so a second server on the same data directory refuses to start.
    pub async fn open_server(config: Config) -> Result<App> {
        Self::open_with(config, true, true).await
    }

    async fn open_with(config: Config, migrate: bool, owner: bool) -> Result<App> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        tighten(&config);
        let policy = load_policy(&config)?;
        let keyring = Arc::new(
            FileKeyring::open_or_create(&config.keyring_path())
                .context("cannot open the keyring")?,
        );
        let url = config.database_url();
        let store = Arc::new(
            SqlStore::connect(&url, keyring.clone())
                .await
                .with_context(|| {
                    format!(
                        "cannot open the database {}",
                        custos_store::redact_url(&url)
                    )
                })?,
        );
        if migrate {
            store.migrate().await.context("cannot apply migrations")?;
            store
                .bind_keyring()
                .await
                .context("the keyring does not belong to this database")?;
        }
        let dyn_store: Arc<dyn Store> = store.clone();
        let ip_countries = config
            .ip_country_db
            .as_deref()
            .map(|p| custos_screen::geo::IpCountries::open(p).map(Arc::new))
            .transpose()
            .map_err(anyhow::Error::msg)?;
        // One process writes the ledger. While a server holds it, a command still runs; its
        // audit records then go to the audit trail only.
        let ledger = match open_ledger(&config) {
            Ok(l) => Some(Arc::new(l)),
            Err(e)
                if e.downcast_ref::<custos_ledger::LedgerError>()
                    .is_some_and(|l| matches!(l, custos_ledger::LedgerError::InUse)) =>
            {
                if owner {
                    anyhow::bail!(
                        "the data directory {} is in use by another custos server (it holds the \
                         ledger); two servers cannot share one data directory",
                        config.data_dir.display()
                    );
                }
                eprintln!(
                    "note: the ledger is held by a running custos server; it copies this \
                     command's audit records into the ledger's audit log"
                );
                None
            }
            Err(e) => return Err(e),
        };
        let service = Service::new(dyn_store, Arc::new(policy), system_clock())
            .with_ip_countries(ip_countries)
            .with_ledger(ledger);
        Ok(App {
            keyring,
            store,
            service,
        })
    }
}
