//! One shape for every list's entries, whatever format they came in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Person,
    Organization,
    Vessel,
    Aircraft,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Primary,
    Alias,
    /// A weak alias ("low quality" on the UN list): matched, but never alone enough.
    WeakAlias,
    /// A former name (f.k.a.).
    Former,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Name {
    pub value: String,
    pub kind: NameKind,
}

/// An identifier a list carries for an entry: a passport or national ID number, an email
/// address, a phone number, a wallet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListIdentifier {
    /// `passport`, `national_id`, `tax_id`, `registration`, `email`, `phone`, `wallet`, ...
    pub kind: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntity {
    /// Unique within the list: the source's own id where it has one.
    pub id: String,
    pub kind: EntityKind,
    pub names: Vec<Name>,
    /// As the list gives them: `1970`, `1970-05-03`, `1968 to 1970`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_dates: Vec<String>,
    /// ISO 3166-1 alpha-2 codes of nationalities and citizenships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<String>,
    /// ISO 3166-1 alpha-2 codes of addresses and other country links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<ListIdentifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Sanctions programs or reasons for listing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// For an entry of custos's own designations list: the special measure it carries. A
    /// designated jurisdiction is an entry with no names, matched by country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designation: Option<Box<Designation>>,
}

impl ListEntity {
    pub fn new(id: impl Into<String>, kind: EntityKind, primary: impl Into<String>) -> Self {
        ListEntity {
            id: id.into(),
            kind,
            names: vec![Name {
                value: primary.into(),
                kind: NameKind::Primary,
            }],
            birth_dates: vec![],
            nationalities: vec![],
            countries: vec![],
            identifiers: vec![],
            addresses: vec![],
            programs: vec![],
            remarks: None,
            designation: None,
        }
    }

    pub fn primary_name(&self) -> &str {
        self.names
            .iter()
            .find(|n| n.kind == NameKind::Primary)
            .or(self.names.first())
            .map_or("", |n| n.value.as_str())
    }

    pub fn add_name(&mut self, value: &str, kind: NameKind) {
        let v = value.trim();
        if !v.is_empty() && !self.names.iter().any(|n| n.value == v) {
            self.names.push(Name {
                value: v.to_owned(),
                kind,
            });
        }
    }

    /// Sorts and de-duplicates every list, so that equal content compares and hashes equal.
    pub fn canonicalize(&mut self) {
        for v in [
            &mut self.birth_dates,
            &mut self.nationalities,
            &mut self.countries,
            &mut self.addresses,
            &mut self.programs,
        ] {
            v.sort();
            v.dedup();
        }
        self.identifiers.sort();
        self.identifiers.dedup();
        let primary: Vec<Name> = self
            .names
            .iter()
            .filter(|n| n.kind == NameKind::Primary)
            .take(1)
            .cloned()
            .collect();
        let mut rest: Vec<Name> = self
            .names
            .iter()
            .filter(|n| !primary.contains(n))
            .cloned()
            .collect();
        rest.sort();
        rest.dedup();
        self.names = primary.into_iter().chain(rest).collect();
    }
}

/// Country names as lists spell them, to ISO alpha-2: the ISO table, and the short and older
/// forms sanctions lists use.
pub fn country_code(name: &str) -> Option<String> {
    let n = name.trim().trim_end_matches('.');
    if n.is_empty() {
        return None;
    }
    const ALIASES: &[(&str, &str)] = &[
        ("russia", "RU"),
        ("iran", "IR"),
        ("syria", "SY"),
        ("north korea", "KP"),
        ("korea, north", "KP"),
        ("democratic people's republic of korea", "KP"),
        ("south korea", "KR"),
        ("korea, south", "KR"),
        ("republic of korea", "KR"),
        ("burma", "MM"),
        ("venezuela", "VE"),
        ("bolivia", "BO"),
        ("tanzania", "TZ"),
        ("vietnam", "VN"),
        ("viet nam", "VN"),
        ("laos", "LA"),
        ("moldova", "MD"),
        ("congo, democratic republic of the", "CD"),
        ("democratic republic of the congo", "CD"),
        ("congo, republic of the", "CG"),
        ("united kingdom", "GB"),
        ("united states", "US"),
        ("czech republic", "CZ"),
        ("turkey", "TR"),
        ("macau", "MO"),
        ("taiwan", "TW"),
        ("palestinian", "PS"),
        ("west bank", "PS"),
        ("gaza", "PS"),
        ("kosovo", "XK"),
        ("ivory coast", "CI"),
        ("cote d'ivoire", "CI"),
        ("the gambia", "GM"),
        ("bahamas, the", "BS"),
        ("micronesia", "FM"),
        ("brunei", "BN"),
        ("cape verde", "CV"),
        ("swaziland", "SZ"),
        ("region: crimea", "UA"),
        ("crimea", "UA"),
    ];
    let lower = n.to_lowercase();
    if let Some((_, c)) = ALIASES.iter().find(|(a, _)| *a == lower) {
        return Some((*c).to_owned());
    }
    if lower == "xk" || lower == "xkx" {
        return Some("XK".into());
    }
    custos_ids::country::lookup(n).map(|c| c.alpha2.to_owned())
}

/// A special-measure designation under EO 13984 section 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    pub id: String,
    pub subject: DesignationSubject,
    pub measure: Measure,
    /// Condition expressions, for `measure = "conditions"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// When the authority made the determination; compliance is due no earlier than the
    /// lead time after it (180 days by default, the CIP policy's `compliance` section).
    #[serde(
        default,
        deserialize_with = "date::de_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub determined: Option<chrono::NaiveDate>,
    #[serde(deserialize_with = "date::de")]
    pub effective: chrono::NaiveDate,
    /// 365 days after `effective` when not given.
    #[serde(
        default,
        deserialize_with = "date::de_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<chrono::NaiveDate>,
    /// The authority's reference, e.g. the Federal Register citation.
    pub reference: String,
    /// Extensions, oldest first: each moves the expiry to its `until`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Entered by a person, through the API or `custos designations add` (who did is in the
    /// audit trail); false for a designation imported from a designations file, which a new
    /// version of the file replaces.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub entered: bool,
}

/// An extension of a designation past its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    #[serde(deserialize_with = "date::de")]
    pub until: chrono::NaiveDate,
    /// The authority's reference for the extension.
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DesignationSubject {
    /// A foreign jurisdiction: an ISO alpha-2 code.
    Jurisdiction { country: String },
    /// A foreign person.
    Person {
        name: String,
        #[serde(default)]
        aliases: Vec<String>,
        #[serde(default)]
        entity_kind: Option<EntityKind>,
        /// `YYYY` or `YYYY-MM-DD` (`birth_date`, its name before, is read as well).
        #[serde(default, rename = "date_of_birth", alias = "birth_date")]
        birth_date: Option<String>,
        #[serde(default)]
        countries: Vec<String>,
    },
}

impl Designation {
    /// Whether the designation is in force on `day`: from its effective date, until (not
    /// including) its expiry.
    pub fn in_force(&self, day: chrono::NaiveDate) -> bool {
        day >= self.effective && self.ends().is_none_or(|x| day < x)
    }

    /// The day it stops being in force: the last extension's, or its own expiry.
    pub fn ends(&self) -> Option<chrono::NaiveDate> {
        self.extensions.last().map(|e| e.until).or(self.expires)
    }

    /// The designated jurisdiction, for a jurisdiction designation.
    pub fn jurisdiction(&self) -> Option<&str> {
        match &self.subject {
            DesignationSubject::Jurisdiction { country } => Some(country),
            DesignationSubject::Person { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Prohibition,
    Conditions,
}

/// Dates written as TOML dates (`2027-03-01`) or as strings.
mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = match Raw::deserialize(d)? {
            Raw::Toml(t) => t.to_string(),
            Raw::Text(s) => s,
        };
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| serde::de::Error::custom("a date must be YYYY-MM-DD"))
    }

    pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        de(d).map(Some)
    }
}
