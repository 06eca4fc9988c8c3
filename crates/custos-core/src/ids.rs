//! Identifiers and small value types of the domain.
//!
//! Ids are opaque strings with a type prefix (`cus_`, `acc_`, `sub_`); the domain never makes
//! them (it has no randomness): callers pass them in.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

use crate::CoreError;

macro_rules! id_type {
    ($name:ident, $prefix:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, example = json!(concat!($prefix, "01jc3v8m4y6q1n0b7x2w5t9r3k")))]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Parses an id, checking its prefix and alphabet.
            pub fn parse(s: &str) -> Result<Self, CoreError> {
                let rest = s.strip_prefix($prefix).ok_or_else(|| {
                    CoreError::invalid(stringify!($name), format!("must start with `{}`", $prefix))
                })?;
                if rest.is_empty()
                    || rest.len() > 64
                    || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(CoreError::invalid(
                        stringify!($name),
                        "must be the prefix followed by 1 to 64 letters, digits or underscores",
                    ));
                }
                Ok(Self(s.to_owned()))
            }

            /// Builds an id from a suffix the caller generated (letters and digits).
            pub fn from_suffix(suffix: &str) -> Result<Self, CoreError> {
                Self::parse(&format!("{}{}", $prefix, suffix))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoreError;
            fn try_from(s: String) -> Result<Self, CoreError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    CustomerId,
    "cus_",
    "A customer (the lessee or sub-lessee of an Account)."
);
id_type!(
    AccountId,
    "acc_",
    "An Account: a formal business relationship to provide IaaS products."
);
id_type!(
    SubjectId,
    "sub_",
    "A subject of verification: the customer itself or one of its beneficial owners."
);

/// An assigned ISO 3166-1 alpha-2 country code, upper case (checked against the ISO table of
/// custos-ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "DE")]
pub struct Country(String);

impl Country {
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let up = s.trim().to_ascii_uppercase();
        if custos_ids::country::is_alpha2(&up) {
            Ok(Country(up))
        } else {
            // The value is not echoed: errors must not carry personal data back.
            Err(CoreError::invalid(
                "country",
                "is not an ISO 3166-1 alpha-2 code",
            ))
        }
    }

    pub fn us() -> Self {
        Country("US".into())
    }

    /// The United States, including its territories that have their own ISO codes
    /// (Puerto Rico, Guam, the US Virgin Islands, American Samoa, the Northern Mariana Islands
    /// and the US Minor Outlying Islands): a person located there is located in the United States.
    pub fn is_us(&self) -> bool {
        matches!(
            self.0.as_str(),
            "US" | "PR" | "GU" | "VI" | "AS" | "MP" | "UM"
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Country {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        Country::parse(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.0
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, ok: bool) {
        assert_eq!(CustomerId::parse(input).is_ok(), ok, "{input}");
    }

    #[test]
    fn customer_ids() {
        check("cus_abc123", true);
        check("cus_", false);
        check("acc_abc", false);
        check("cus_a b", false);
        check("cus_ü", false);
        check(&format!("cus_{}", "a".repeat(65)), false);
    }

    #[test]
    fn countries() {
        assert_eq!(Country::parse("de").unwrap().as_str(), "DE");
        assert!(Country::parse("DEU").is_err());
        assert!(Country::parse("1A").is_err());
        assert!(Country::parse("XX").is_err(), "not assigned");
        assert!(Country::parse("PR").unwrap().is_us());
        assert!(!Country::parse("CA").unwrap().is_us());
    }
}
