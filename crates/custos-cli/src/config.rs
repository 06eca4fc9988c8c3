//! The typed configuration: defaults, then a TOML file, then `CUSTOS_`-prefixed environment
//! variables, then command-line flags. Validated once at start-up; plain values go inward.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database and the key file live.
    pub data_dir: PathBuf,
    /// The address `custos serve` listens on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://...`; the default is `sqlite://DATA_DIR/custos.db`.
    /// Never serialised: a secret (it may hold a password) stays out of every output.
    #[serde(default, skip_serializing)]
    pub database_url: Option<SecretString>,
    /// The key-encryption keyring; default `DATA_DIR/keyring.json`, created 0600 on first run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring_path: Option<PathBuf>,
    /// A CIP policy TOML document; default: the shipped `policy/default-cip.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cip_policy: Option<PathBuf>,
    /// A MaxMind-format IP country database (`.mmdb`: GeoLite2/GeoIP2 Country or City, DB-IP,
    /// or `@ip-location-db/geo-whois-asn-country-mmdb`): the country of an access reported
    /// without one, for triage and jurisdiction screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_country_db: Option<PathBuf>,
    /// The name the access ledger's checkpoints carry (`ORIGIN/access`, `ORIGIN/audit`): a
    /// schemaless URL that is yours, e.g. `custos.example.net/ledger`.
    pub ledger_origin: String,
    /// `text` or `json` (structured logs for collectors).
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `custos_server=debug,info`.
    pub log_level: String,
    /// How often `custos serve` runs the compliance sweep (designations taking effect or
    /// ending, verification deadlines), in seconds; 0 leaves it to `custos compliance sweep`.
    #[serde(default = "default_sweep")]
    pub sweep_interval_secs: u64,
    /// How often `custos serve` does what other processes leave to the ledger's owner (copying
    /// their audit records into the ledger's audit log; retention's ledger purges and the
    /// retiring of keys), in seconds.
    #[serde(default = "default_maintenance")]
    pub maintenance_interval_secs: u64,
    /// How many connections `custos serve` keeps open at once; one more is closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers (on a new connection, and
    /// between requests on a kept-alive one) before it is closed, in seconds.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// Peers' TAXII collections `custos serve` pulls on a schedule (`[[sharing_pulls]]`), as
    /// `custos sharing pull` does once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharing_pulls: Vec<SharingPull>,
}

/// A peer's collection the server pulls.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingPull {
    /// The peer's TAXII API root.
    pub from: String,
    pub collection: String,
    /// The user name HTTP Basic sends.
    #[serde(default = "default_pull_user")]
    pub user: String,
    /// The environment variable holding the key or password (never the file).
    pub secret_env: String,
    /// How often, in seconds.
    #[serde(default = "default_pull_every")]
    pub every_secs: u64,
}

fn default_pull_user() -> String {
    "custos".into()
}

fn default_pull_every() -> u64 {
    3600
}

fn default_max_connections() -> usize {
    4096
}

fn default_header_timeout() -> u64 {
    30
}

fn default_sweep() -> u64 {
    3600
}

fn default_maintenance() -> u64 {
    5
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./custos-data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            keyring_path: None,
            cip_policy: None,
            ip_country_db: None,
            ledger_origin: "custos.localhost/ledger".into(),
            log_format: "text".into(),
            log_level: "info".into(),
            sweep_interval_secs: default_sweep(),
            maintenance_interval_secs: default_maintenance(),
            max_connections: default_max_connections(),
            header_timeout_secs: default_header_timeout(),
            sharing_pulls: vec![],
        }
    }
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it, `DATA_DIR/custos.toml` is read if it
    /// exists.
    pub fn load(file: Option<&Path>, data_dir: Option<&Path>) -> Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let env_dir = std::env::var_os("CUSTOS_DATA_DIR").map(PathBuf::from);
        let dir = data_dir
            .map(Path::to_path_buf)
            .or(env_dir)
            .unwrap_or_else(|| Config::default().data_dir);
        match file {
            Some(f) => {
                if !f.exists() {
                    bail!("the configuration file {} does not exist", f.display());
                }
                fig = fig.merge(Toml::file(f));
            }
            None => {
                let f = dir.join("custos.toml");
                if f.exists() {
                    fig = fig.merge(Toml::file(f));
                }
            }
        }
        // Only the configuration's own keys: other CUSTOS_ variables (test and bench settings)
        // are not configuration.
        fig = fig.merge(Env::prefixed("CUSTOS_").only(&[
            "data_dir",
            "listen",
            "database_url",
            "keyring_path",
            "cip_policy",
            "ip_country_db",
            "ledger_origin",
            "log_format",
            "log_level",
            "sweep_interval_secs",
            "maintenance_interval_secs",
            "max_connections",
            "header_timeout_secs",
        ]));
        if let Some(d) = data_dir {
            fig = fig.merge(Serialized::default("data_dir", d));
        }
        let c: Config = fig.extract().context("invalid configuration")?;
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<()> {
        if self.max_connections == 0 {
            bail!("max_connections must be at least 1");
        }
        if self.header_timeout_secs == 0 {
            bail!("header_timeout_secs must be at least 1");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be `text` or `json`");
        }
        if let Some(u) = &self.database_url {
            let u = u.expose_secret();
            if !(u.starts_with("sqlite://")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://"))
            {
                bail!("database_url must start with sqlite:// or postgres://");
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("custos.db").display()),
        }
    }

    /// Where the ledger's logs and signing key live.
    /// What `custos serve` accepts.
    pub fn limits(&self) -> custos_server::serve::Limits {
        custos_server::serve::Limits {
            max_connections: self.max_connections,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs),
            ..Default::default()
        }
    }

    pub fn ledger_dir(&self) -> PathBuf {
        self.data_dir.join("ledger")
    }

    pub fn keyring_path(&self) -> PathBuf {
        self.keyring_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keyring.json"))
    }
}
