//! Legal process under the Stored Communications Act (18 U.S.C. 2701-2713): the instruments a
//! request comes under, the record categories each reaches, a request's states, and the
//! preservation clock of 2703(f). Pure rules: the application keeps the requests.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;

/// What a request comes under.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    /// A preservation letter under 18 U.S.C. 2703(f): keep, disclose nothing.
    Preservation,
    /// An administrative, grand jury or trial subpoena: 2703(c)(2) basic subscriber information.
    Subpoena,
    /// A court order under 2703(d).
    #[serde(rename = "court_order_2703d")]
    CourtOrder2703d,
    Warrant,
    /// A voluntary emergency disclosure under 2702(b)(8) and (c)(4).
    Emergency,
    /// The customer's lawful consent (2702(c)(2)).
    Consent,
    Other,
}

impl Instrument {
    pub const ALL: [Instrument; 7] = [
        Instrument::Preservation,
        Instrument::Subpoena,
        Instrument::CourtOrder2703d,
        Instrument::Warrant,
        Instrument::Emergency,
        Instrument::Consent,
        Instrument::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Instrument::Preservation => "preservation",
            Instrument::Subpoena => "subpoena",
            Instrument::CourtOrder2703d => "court_order_2703d",
            Instrument::Warrant => "warrant",
            Instrument::Emergency => "emergency",
            Instrument::Consent => "consent",
            Instrument::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Instrument> {
        Instrument::ALL.into_iter().find(|i| i.as_str() == s)
    }

    /// How it reads in a document.
    pub fn title(self) -> &'static str {
        match self {
            Instrument::Preservation => "preservation request (18 U.S.C. 2703(f))",
            Instrument::Subpoena => "subpoena (18 U.S.C. 2703(c)(2))",
            Instrument::CourtOrder2703d => "court order (18 U.S.C. 2703(d))",
            Instrument::Warrant => "search warrant (18 U.S.C. 2703(a), (b), (c)(1)(A))",
            Instrument::Emergency => "emergency disclosure (18 U.S.C. 2702(b)(8), (c)(4))",
            Instrument::Consent => "the customer's consent (18 U.S.C. 2702(c)(2))",
            Instrument::Other => "other legal process",
        }
    }
}

/// A category of the records custos keeps, as legal process names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Name, addresses, contacts (telephone, email), subscriber number or identity.
    Subscriber,
    /// Session times and durations and the network addresses used: the access ledger.
    Sessions,
    /// Length of service (start date) and types of service: the accounts and their offerings.
    Service,
    /// Means and source of payment (never a full card number: custos keeps none).
    Payment,
    /// Identity verification results.
    Verification,
    /// Identity documents' metadata (kind, issuer, number's last digits, dates).
    Documents,
    /// Account decisions and their history.
    Decisions,
    /// Screening against designated lists: the cases and their resolutions.
    Screening,
    /// Reseller relationships: the reseller account and the sub-lessee accounts.
    Resellers,
    /// Beneficial owners of an entity.
    BeneficialOwners,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Subscriber,
        Category::Sessions,
        Category::Service,
        Category::Payment,
        Category::Verification,
        Category::Documents,
        Category::Decisions,
        Category::Screening,
        Category::Resellers,
        Category::BeneficialOwners,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Subscriber => "subscriber",
            Category::Sessions => "sessions",
            Category::Service => "service",
            Category::Payment => "payment",
            Category::Verification => "verification",
            Category::Documents => "documents",
            Category::Decisions => "decisions",
            Category::Screening => "screening",
            Category::Resellers => "resellers",
            Category::BeneficialOwners => "beneficial_owners",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Basic subscriber information as 18 U.S.C. 2703(c)(2) lists it.
pub const BASIC_SUBSCRIBER: [Category; 4] = [
    Category::Subscriber,
    Category::Sessions,
    Category::Service,
    Category::Payment,
];

/// What each instrument reaches: the `[legal]` section of the CIP policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LegalPolicy {
    /// The categories each instrument reaches; an instrument not named reaches its default
    /// ([`default_reach`]).
    pub reach: BTreeMap<Instrument, Vec<Category>>,
    /// How long a preservation keeps its scope (2703(f)(2): 90 days).
    pub preservation_days: u32,
    /// How much longer one renewed request keeps it (once).
    pub preservation_extension_days: u32,
}

impl Default for LegalPolicy {
    fn default() -> Self {
        LegalPolicy {
            reach: BTreeMap::new(),
            preservation_days: 90,
            preservation_extension_days: 90,
        }
    }
}

/// What an instrument reaches when the policy does not say: a subpoena basic subscriber
/// information; a 2703(d) order every non-content record (custos keeps no content, so every
/// record); a warrant, an emergency disclosure and consent everything; a preservation nothing
/// (it preserves, it discloses nothing); other process basic subscriber information.
pub fn default_reach(i: Instrument) -> Vec<Category> {
    match i {
        Instrument::Preservation => vec![],
        Instrument::Subpoena | Instrument::Other => BASIC_SUBSCRIBER.to_vec(),
        Instrument::CourtOrder2703d
        | Instrument::Warrant
        | Instrument::Emergency
        | Instrument::Consent => Category::ALL.to_vec(),
    }
}

impl LegalPolicy {
    /// The categories an instrument reaches under this policy, in their order.
    pub fn reach(&self, i: Instrument) -> Vec<Category> {
        let mut v = self
            .reach
            .get(&i)
            .cloned()
            .unwrap_or_else(|| default_reach(i));
        v.sort();
        v.dedup();
        v
    }

    pub fn validate(&self) -> Result<(), CoreError> {
        if self.preservation_days == 0 || self.preservation_days > 365 {
            return Err(CoreError::Policy(
                "legal.preservation_days must be between 1 and 365".into(),
            ));
        }
        if self.preservation_extension_days > 365 {
            return Err(CoreError::Policy(
                "legal.preservation_extension_days must be at most 365".into(),
            ));
        }
        if self
            .reach
            .get(&Instrument::Preservation)
            .is_some_and(|c| !c.is_empty())
        {
            return Err(CoreError::Policy(
                "legal.reach.preservation must be empty: a preservation discloses nothing".into(),
            ));
        }
        Ok(())
    }

    /// The categories a production under `i` holds: those asked for (all it reaches when none
    /// were), each of which it must reach.
    pub fn categories(
        &self,
        i: Instrument,
        asked: &[Category],
    ) -> Result<Vec<Category>, CoreError> {
        let reach = self.reach(i);
        if asked.is_empty() {
            return Ok(reach);
        }
        let mut out = vec![];
        for c in asked {
            if !reach.contains(c) {
                let wider: Vec<&str> = Instrument::ALL
                    .into_iter()
                    .filter(|j| *j != i && self.reach(*j).contains(c))
                    .map(Instrument::as_str)
                    .collect();
                return Err(CoreError::Invalid {
                    field: "scope.categories".into(),
                    reason: format!(
                        "a {} does not reach `{}`{}",
                        i.as_str(),
                        c.as_str(),
                        if wider.is_empty() {
                            String::new()
                        } else {
                            format!(" ({} does)", wider.join(", "))
                        }
                    ),
                });
            }
            out.push(*c);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Received,
    InReview,
    /// A second person approved the production (or the emergency disclosure).
    Approved,
    Produced,
    /// Produced, but some of what the scope names was no longer kept (destroyed by retention
    /// before the request came).
    PartiallyProduced,
    Rejected,
    Withdrawn,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::InReview => "in_review",
            RequestState::Approved => "approved",
            RequestState::Produced => "produced",
            RequestState::PartiallyProduced => "partially_produced",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    /// Whether nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, RequestState::Rejected | RequestState::Withdrawn)
    }

    /// Whether a request may move from this state to `to` (productions and approvals are
    /// checked by their own operations; this is the whole graph).
    pub fn may_become(self, to: RequestState) -> bool {
        use RequestState::*;
        match (self, to) {
            (Received, InReview | Approved | Rejected | Withdrawn) => true,
            (InReview, Approved | Rejected | Withdrawn) => true,
            (Approved, Produced | PartiallyProduced | Withdrawn) => true,
            // A package produced again (lost, or asked again) stays produced.
            (Produced | PartiallyProduced, Produced | PartiallyProduced) => true,
            _ => false,
        }
    }

    /// [`RequestState::may_become`] as an error naming both states.
    pub fn check(self, to: RequestState) -> Result<(), CoreError> {
        if self.may_become(to) {
            Ok(())
        } else {
            Err(CoreError::Conflict(format!(
                "the request is {}: it cannot become {}",
                self.as_str(),
                to.as_str()
            )))
        }
    }
}

/// Until when a preservation made at `from` keeps its scope, extended once or not.
pub fn preserved_until(policy: &LegalPolicy, from: DateTime<Utc>, extended: bool) -> DateTime<Utc> {
    let mut days = i64::from(policy.preservation_days);
    if extended {
        days += i64::from(policy.preservation_extension_days);
    }
    from + Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subpoena_reaches_basic_subscriber_information_only() {
        let p = LegalPolicy::default();
        assert_eq!(p.reach(Instrument::Subpoena), BASIC_SUBSCRIBER.to_vec());
        let e = p
            .categories(Instrument::Subpoena, &[Category::Verification])
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not reach `verification`"), "{e}");
        assert!(e.contains("court_order_2703d"), "{e}");
        assert_eq!(
            p.categories(Instrument::Warrant, &[]).unwrap(),
            Category::ALL.to_vec()
        );
        assert!(p.reach(Instrument::Preservation).is_empty());
    }

    #[test]
    fn the_policy_can_narrow_an_instrument() {
        let p: LegalPolicy = toml::from_str("[reach]\nsubpoena = [\"subscriber\"]\n").unwrap();
        assert_eq!(p.reach(Instrument::Subpoena), vec![Category::Subscriber]);
        assert_eq!(p.preservation_days, 90);
        let bad: LegalPolicy =
            toml::from_str("[reach]\npreservation = [\"subscriber\"]\n").unwrap();
        assert!(bad.validate().is_err());
        assert!(toml::from_str::<LegalPolicy>("[reach]\nsubpoena = [\"content\"]\n").is_err());
    }

    #[test]
    fn states_move_forward_only() {
        use RequestState::*;
        assert!(Received.may_become(Approved));
        assert!(Approved.may_become(Produced));
        assert!(!Received.may_become(Produced));
        assert!(!Rejected.may_become(Approved));
        assert!(!Produced.may_become(Withdrawn));
        assert!(Withdrawn.check(InReview).is_err());
    }

    #[test]
    fn preservation_lasts_ninety_days_and_once_ninety_more() {
        let p = LegalPolicy::default();
        let t = DateTime::parse_from_rfc3339("2027-01-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            preserved_until(&p, t, false).to_rfc3339(),
            "2027-04-10T15:00:00+00:00"
        );
        assert_eq!(
            preserved_until(&p, t, true).to_rfc3339(),
            "2027-07-09T15:00:00+00:00"
        );
    }
}
