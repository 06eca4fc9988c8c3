//! The country of an IP address, from a database in MaxMind's `.mmdb` format, read through the
//! `maxminddb` crate.
//!
//! Any country database in that format will do: MaxMind's GeoIP2/GeoLite2 Country or City
//! (`country.iso_code`), DB-IP's, or the CC0 `@ip-location-db` packages (`country_code`), such
//! as `@ip-location-db/geo-whois-asn-country-mmdb`.

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

/// An opened IP-to-country database.
pub struct IpCountries {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl std::fmt::Debug for IpCountries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpCountries")
            .field("database_type", &self.reader.metadata().database_type)
            .field("build_epoch", &self.reader.metadata().build_epoch)
            .finish()
    }
}

/// The record shapes the known databases use.
#[derive(Deserialize)]
struct Record<'a> {
    /// `@ip-location-db`, DB-IP lite.
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    /// MaxMind GeoIP2 / GeoLite2.
    #[serde(borrow, default)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<IsoCode<'a>>,
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

impl IpCountries {
    /// Opens a database, reading it into memory.
    pub fn open(path: &Path) -> Result<IpCountries, String> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| {
            format!(
                "cannot open the IP country database {}: {e}",
                path.display()
            )
        })?;
        Ok(IpCountries { reader })
    }

    /// What the database is (`database_type` in its metadata) and when it was built.
    pub fn describe(&self) -> String {
        format!(
            "{} built {}",
            self.reader.metadata().database_type,
            chrono::DateTime::from_timestamp(self.reader.metadata().build_epoch as i64, 0)
                .map_or_else(
                    || "at an unknown time".to_owned(),
                    |t| t.date_naive().to_string()
                )
        )
    }

    /// The ISO 3166-1 alpha-2 country of `ip`, if the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let r: Record<'_> = found.decode().ok()??;
        let code = r
            .country_code
            .or(r.country.and_then(|c| c.iso_code))
            .or(r.registered_country.and_then(|c| c.iso_code))?;
        (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| code.to_ascii_uppercase())
    }
}
