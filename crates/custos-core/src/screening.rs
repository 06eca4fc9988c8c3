//! Screening outcomes and what they do to accounts.
//!
//! The screener (`custos-screen`) finds candidate matches of a subject against the designated
//! lists: names against sanctions lists and designated foreign persons, country links against
//! designated foreign jurisdictions (EO 13984 section 2). This module keeps the cases those
//! findings open, remembers a reviewer's resolution, and says what they mean for an account:
//!
//! - a **confirmed** hit on a prohibition (a sanctions list imported as one, and special
//!   measures that prohibit) refuses a new account and closes an open one;
//! - a confirmed hit on a measure with **conditions** applies them (the account is restricted,
//!   and the conditions travel with its decision);
//! - a **possible** hit opens a review case and holds the account until a reviewer decides;
//! - a hit on a list imported for **review** (see [`ListMeasure`]) opens a case that holds the
//!   account until a reviewer decides, and is never decisive: neither evidence nor a reviewer's
//!   confirmation makes it refuse or close anything; one on an **informational** list opens a
//!   case for the reviewers and holds nothing;
//! - a reviewer's **false positive** is remembered for that subject and that list entry until
//!   either of them changes (their fingerprints are kept with the case);
//! - a reviewer who **reverses** a decision (a confirmed match called a false positive, or
//!   back) gives the reason in the case's note, and so does one who calls an **exact** match
//!   (the whole name, with the full date of birth the entry gives) a false positive; a reversal
//!   decides again the accounts the case closed (see [`crate::account::closed_by`]).
//!
//! Pure: findings, times and ids are passed in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::ids::{Country, SubjectId};

/// How a subject came to match.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A name or alias on a list.
    Name,
    /// A link to a designated foreign jurisdiction.
    Jurisdiction,
}

/// What a list entry requires of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// No account may be opened or maintained: sanctions lists imported as prohibitions, and
    /// special measures that prohibit.
    Prohibition,
    /// Accounts only under the measure's conditions.
    Conditions,
    /// A reviewer looks at the match; it holds the accounts while open and decides nothing.
    Review,
    /// Kept for the reviewers; it holds and refuses nothing.
    Informational,
}

impl Measure {
    /// Whether a hit on it can decide anything: be confirmed by evidence alone, refuse, close,
    /// or apply conditions.
    pub fn decides(self) -> bool {
        matches!(self, Measure::Prohibition | Measure::Conditions)
    }

    /// Whether an open case on it holds the accounts until a reviewer decides.
    pub fn holds_for_review(self) -> bool {
        self != Measure::Informational
    }
}

/// What the hits on a list ask of a provider: chosen when the list is imported (each format
/// has its default), and kept with every version. A list of special-measure designations
/// carries each designation's own measure instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListMeasure {
    /// A sanctions list that bars the relationship (OFAC's SDN list, the UN's): a confirmed
    /// hit refuses a new account and closes open ones.
    #[default]
    Prohibition,
    /// A list whose hits a reviewer must look at but that bars nothing by itself (BIS's Denied
    /// Persons List denies export privileges): an open case holds the accounts; it is never
    /// decisive, confirmed or not.
    Review,
    /// Context for the reviewers (an OpenSanctions dataset of party donations): a case is
    /// opened, and holds and refuses nothing.
    Informational,
}

impl ListMeasure {
    pub fn as_str(self) -> &'static str {
        match self {
            ListMeasure::Prohibition => "prohibition",
            ListMeasure::Review => "review",
            ListMeasure::Informational => "informational",
        }
    }

    pub fn parse(s: &str) -> Result<ListMeasure, String> {
        Ok(match s {
            "prohibition" => ListMeasure::Prohibition,
            "review" => ListMeasure::Review,
            "informational" => ListMeasure::Informational,
            other => {
                return Err(format!(
                    "unknown measure `{other}`: prohibition, review or informational"
                ));
            }
        })
    }
}

impl From<ListMeasure> for Measure {
    fn from(m: ListMeasure) -> Measure {
        match m {
            ListMeasure::Prohibition => Measure::Prohibition,
            ListMeasure::Review => Measure::Review,
            ListMeasure::Informational => Measure::Informational,
        }
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// A possible match: a reviewer must decide.
    Open,
    /// A true match, confirmed by a reviewer or by decisive evidence (a shared identifier, or
    /// a confirming link to a designated jurisdiction).
    Confirmed,
    /// Not the listed party, as a reviewer decided; remembered until the subject or the list
    /// entry changes.
    FalsePositive,
    /// The match is gone: the entry left the list, the designation expired, or the subject's
    /// record no longer matches.
    Cleared,
}

/// How a subject is linked to a country.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A residence or business address.
    Address,
    /// The jurisdiction an entity is organised under.
    Organisation,
    Nationality,
    /// The issuing state of an identity document or national id.
    Document,
    /// The country of a telephone number.
    Phone,
    /// The country of a payment instrument (a card's issuing country, an IBAN's or bank
    /// account's country).
    Payment,
    /// The country of an IP address the customer connected from.
    Ip,
}

/// One link of a subject to a country, as the records show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountryLink {
    pub subject_id: SubjectId,
    pub country: Country,
    pub kind: LinkKind,
}

/// One part of an explanation: which field, how much it moved the score, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Factor {
    pub field: String,
    pub effect: f64,
    pub detail: String,
}

/// What one screening found for one subject against one list entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    pub subject_id: SubjectId,
    pub basis: Basis,
    pub list: String,
    pub entity_id: String,
    /// The entry's primary name (a jurisdiction's country code for a jurisdiction).
    pub entity_name: String,
    /// The name or alias that matched, or the links that tie the subject to the jurisdiction.
    pub matched: String,
    pub score: f64,
    pub measure: Measure,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// The authority's reference, for special measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub explanation: Vec<Factor>,
    /// Decisive on its own: confirmed without review.
    pub decisive: bool,
    /// The subject's full date of birth is one the entry gives (not the year alone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub birth_date_equal: bool,
    /// Fingerprint of the list entry's content, and of what of the subject was screened.
    pub entity_fingerprint: String,
    pub subject_fingerprint: String,
}

impl Finding {
    fn key(&self) -> (&SubjectId, Basis, &str, &str) {
        (&self.subject_id, self.basis, &self.list, &self.entity_id)
    }

    /// The same subject against the same designation, found before designations were one list:
    /// its case was kept under the list it was imported as and the entry id `custos-<id>`.
    fn same_designation(&self, before: &Finding) -> bool {
        self.reference.is_some()
            && before.reference.is_some()
            && self.subject_id == before.subject_id
            && self.basis == before.basis
            && before.entity_id.strip_prefix("custos-") == Some(self.entity_id.as_str())
    }

    /// An exact match: the highest score, and the full date of birth the entry gives.
    pub fn exact(&self) -> bool {
        self.score >= 1.0 && self.birth_date_equal
    }
}

/// A reviewer's decision on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Confirmed,
    FalsePositive,
}

/// A screening case: one subject against one list entry, over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Case {
    pub id: String,
    pub state: CaseState,
    /// The latest finding.
    pub finding: Finding,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Why it was resolved so (named `note` before; kept cases read as before).
    #[serde(
        default,
        rename = "reason",
        alias = "note",
        skip_serializing_if = "Option::is_none"
    )]
    pub note: Option<String>,
}

/// Every case of a customer, and the list versions last screened against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Screening {
    #[serde(default)]
    pub cases: Vec<Case>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screened_at: Option<DateTime<Utc>>,
    /// `(list, version id)` pairs of the last screening.
    #[serde(default)]
    pub versions: Vec<(String, i64)>,
}

/// A change a screening made to a case, for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseChange {
    pub case_id: String,
    pub subject_id: SubjectId,
    pub basis: Basis,
    pub list: String,
    pub entity_id: String,
    /// The state after the change.
    pub state: CaseState,
}

/// What a screening changed: hits that are new (or back), and hits that are gone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Changes {
    pub new: Vec<CaseChange>,
    pub resolved: Vec<CaseChange>,
}

fn change(c: &Case) -> CaseChange {
    CaseChange {
        case_id: c.id.clone(),
        subject_id: c.finding.subject_id.clone(),
        basis: c.finding.basis,
        list: c.finding.list.clone(),
        entity_id: c.finding.entity_id.clone(),
        state: c.state,
    }
}

impl Screening {
    /// Folds the findings of a complete screening into the cases. `new_id` names the case a
    /// finding opens.
    pub fn apply(
        &mut self,
        findings: Vec<Finding>,
        versions: Vec<(String, i64)>,
        now: DateTime<Utc>,
        mut new_id: impl FnMut(&Finding) -> String,
    ) -> Changes {
        let mut out = Changes::default();
        let mut seen = vec![false; self.cases.len()];
        for mut f in findings {
            // Only what can decide is decisive: a shared identifier on a list kept for review
            // still leaves the decision to a reviewer.
            f.decisive &= f.measure.decides();
            let fresh_state = if f.decisive {
                CaseState::Confirmed
            } else {
                CaseState::Open
            };
            let found = self
                .cases
                .iter()
                .position(|c| c.finding.key() == f.key())
                .or_else(|| {
                    self.cases
                        .iter()
                        .position(|c| f.same_designation(&c.finding))
                });
            match found {
                Some(i) => {
                    seen[i] = true;
                    let c = &mut self.cases[i];
                    let changed = c.finding.entity_fingerprint != f.entity_fingerprint
                        || c.finding.subject_fingerprint != f.subject_fingerprint;
                    let next = match c.state {
                        // Remembered while neither side changed.
                        CaseState::FalsePositive if !changed => CaseState::FalsePositive,
                        CaseState::Confirmed => CaseState::Confirmed,
                        CaseState::Open if f.decisive => CaseState::Confirmed,
                        CaseState::Open => CaseState::Open,
                        CaseState::FalsePositive | CaseState::Cleared => fresh_state,
                    };
                    let reopened = next != c.state
                        && matches!(c.state, CaseState::FalsePositive | CaseState::Cleared);
                    if next != c.state || c.finding != f {
                        c.updated_at = now;
                    }
                    if reopened {
                        c.resolved_by = None;
                        c.resolved_at = None;
                        c.note = None;
                    }
                    c.state = next;
                    c.finding = f;
                    if reopened {
                        out.new.push(change(c));
                    }
                }
                None => {
                    let c = Case {
                        id: new_id(&f),
                        state: fresh_state,
                        finding: f,
                        opened_at: now,
                        updated_at: now,
                        resolved_by: None,
                        resolved_at: None,
                        note: None,
                    };
                    out.new.push(change(&c));
                    self.cases.push(c);
                    seen.push(true);
                }
            }
        }
        for (c, seen) in self.cases.iter_mut().zip(seen) {
            if !seen && matches!(c.state, CaseState::Open | CaseState::Confirmed) {
                c.state = CaseState::Cleared;
                c.updated_at = now;
                out.resolved.push(change(c));
            }
        }
        self.screened_at = Some(now);
        self.versions = versions;
        out
    }

    /// A reviewer's decision on an open case (or a change of mind on a decided one). A
    /// reversal, and a false positive on an exact match, need the reason.
    pub fn resolve(
        &mut self,
        case_id: &str,
        resolution: Resolution,
        by: &str,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<&Case, CoreError> {
        let c = self
            .cases
            .iter_mut()
            .find(|c| c.id == case_id)
            .ok_or_else(|| CoreError::NotFound(format!("screening case {case_id}")))?;
        if c.state == CaseState::Cleared {
            return Err(CoreError::Conflict(format!(
                "screening case {case_id} is cleared: the match no longer exists"
            )));
        }
        let next = match resolution {
            Resolution::Confirmed => CaseState::Confirmed,
            Resolution::FalsePositive => CaseState::FalsePositive,
        };
        let noted = note.as_deref().is_some_and(|n| !n.trim().is_empty());
        if !noted && reversal(c.state, next) {
            return Err(CoreError::invalid(
                "reason",
                format!(
                    "case {case_id} is {}: reversing it needs the reason",
                    match c.state {
                        CaseState::Confirmed => "confirmed",
                        _ => "a false positive",
                    }
                ),
            ));
        }
        if !noted && next == CaseState::FalsePositive && c.finding.exact() {
            return Err(CoreError::invalid(
                "reason",
                format!(
                    "case {case_id} is an exact match (the whole name and the full date of \
                     birth): calling it a false positive needs the reason"
                ),
            ));
        }
        c.state = next;
        c.resolved_by = Some(by.to_owned());
        c.resolved_at = Some(now);
        c.note = note;
        c.updated_at = now;
        Ok(c)
    }

    /// The clear summary: ids, states and the public terms of the measures, nothing of the
    /// subject.
    pub fn summary(&self) -> Vec<CaseSummary> {
        self.cases
            .iter()
            .map(|c| CaseSummary {
                id: c.id.clone(),
                subject_id: c.finding.subject_id.clone(),
                basis: c.finding.basis,
                list: c.finding.list.clone(),
                entity_id: c.finding.entity_id.clone(),
                measure: c.finding.measure,
                conditions: c.finding.conditions.clone(),
                reference: c.finding.reference.clone(),
                score: c.finding.score,
                state: c.state,
                opened_at: c.opened_at,
                updated_at: c.updated_at,
            })
            .collect()
    }
}

/// Whether resolving a case in `from` as `to` reverses a reviewer's (or decisive evidence's)
/// decision: a confirmed match called a false positive, or back.
pub fn reversal(from: CaseState, to: CaseState) -> bool {
    matches!(
        (from, to),
        (CaseState::Confirmed, CaseState::FalsePositive)
            | (CaseState::FalsePositive, CaseState::Confirmed)
    )
}

/// A case as the clear summary holds it: what decisions and case queues need, without
/// decrypting the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseSummary {
    pub id: String,
    pub subject_id: SubjectId,
    pub basis: Basis,
    pub list: String,
    pub entity_id: String,
    pub measure: Measure,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub score: f64,
    pub state: CaseState,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Special-measure conditions applied to an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppliedConditions {
    pub list: String,
    pub entity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub conditions: Vec<String>,
    /// The reseller account the measure holds through, when it is not the customer's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<crate::ids::AccountId>,
    /// The conditions this account does not meet (it is held until it does).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<crate::measures::Unmet>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0).unwrap()
    }

    fn finding(entity: &str, decisive: bool, efp: &str, sfp: &str) -> Finding {
        Finding {
            subject_id: SubjectId::parse("sub_1").unwrap(),
            basis: Basis::Name,
            list: "ofac".into(),
            entity_id: entity.into(),
            entity_name: "X".into(),
            matched: "X".into(),
            score: 0.9,
            measure: Measure::Prohibition,
            conditions: vec![],
            reference: None,
            explanation: vec![],
            decisive,
            birth_date_equal: false,
            entity_fingerprint: efp.into(),
            subject_fingerprint: sfp.into(),
        }
    }

    fn ids() -> impl FnMut(&Finding) -> String {
        let mut n = 0;
        move |_| {
            n += 1;
            format!("scr_{n}")
        }
    }

    #[test]
    fn a_possible_hit_opens_a_case_and_a_decisive_one_confirms() {
        let mut s = Screening::default();
        let mut id = ids();
        let ch = s.apply(
            vec![finding("1", false, "e", "s"), finding("2", true, "e", "s")],
            vec![],
            t(1),
            &mut id,
        );
        assert_eq!(ch.new.len(), 2);
        assert_eq!(s.cases[0].state, CaseState::Open);
        assert_eq!(s.cases[1].state, CaseState::Confirmed);
        // The same findings again change nothing.
        let ch = s.apply(
            vec![finding("1", false, "e", "s"), finding("2", true, "e", "s")],
            vec![],
            t(2),
            &mut id,
        );
        assert_eq!(ch, Changes::default());
        assert_eq!(s.cases[0].updated_at, t(1));
    }

    #[test]
    fn a_false_positive_is_remembered_until_either_side_changes() {
        let mut s = Screening::default();
        let mut id = ids();
        s.apply(vec![finding("1", false, "e", "s")], vec![], t(1), &mut id);
        s.resolve("scr_1", Resolution::FalsePositive, "rev", None, t(2))
            .unwrap();
        let ch = s.apply(vec![finding("1", false, "e", "s")], vec![], t(3), &mut id);
        assert!(ch.new.is_empty());
        assert_eq!(s.cases[0].state, CaseState::FalsePositive);
        // The list entry changed: the case opens again.
        let ch = s.apply(vec![finding("1", false, "e2", "s")], vec![], t(4), &mut id);
        assert_eq!(ch.new.len(), 1);
        assert_eq!(s.cases[0].state, CaseState::Open);
        assert_eq!(s.cases[0].resolved_by, None);
        s.resolve("scr_1", Resolution::FalsePositive, "rev", None, t(5))
            .unwrap();
        // The subject changed: again.
        s.apply(vec![finding("1", false, "e2", "s2")], vec![], t(6), &mut id);
        assert_eq!(s.cases[0].state, CaseState::Open);
        assert_eq!(s.cases.len(), 1);
    }

    #[test]
    fn a_hit_that_disappears_is_cleared_and_reported() {
        let mut s = Screening::default();
        let mut id = ids();
        s.apply(vec![finding("1", true, "e", "s")], vec![], t(1), &mut id);
        let ch = s.apply(vec![], vec![], t(2), &mut id);
        assert_eq!(ch.resolved.len(), 1);
        assert_eq!(s.cases[0].state, CaseState::Cleared);
        assert!(
            s.resolve("scr_1", Resolution::Confirmed, "rev", None, t(3))
                .is_err()
        );
        // Back on the list: reported as new, the same case.
        let ch = s.apply(vec![finding("1", true, "e", "s")], vec![], t(4), &mut id);
        assert_eq!(ch.new.len(), 1);
        assert_eq!(ch.new[0].case_id, "scr_1");
        assert_eq!(s.cases[0].state, CaseState::Confirmed);
    }

    #[test]
    fn a_reversal_needs_a_reason() {
        let mut s = Screening::default();
        let mut id = ids();
        s.apply(vec![finding("1", false, "e", "s")], vec![], t(1), &mut id);
        // Deciding an open case needs no note.
        s.resolve("scr_1", Resolution::Confirmed, "rev", None, t(2))
            .unwrap();
        for note in [None, Some("".to_owned()), Some(" \n".to_owned())] {
            let err = s
                .resolve("scr_1", Resolution::FalsePositive, "rev", note, t(3))
                .unwrap_err();
            assert!(
                matches!(&err, CoreError::Invalid { field, .. } if field == "reason"),
                "{err}"
            );
        }
        assert_eq!(s.cases[0].state, CaseState::Confirmed);
        assert_eq!(s.cases[0].resolved_at, Some(t(2)));
        // Confirming again what is confirmed is no reversal.
        s.resolve("scr_1", Resolution::Confirmed, "rev", None, t(3))
            .unwrap();
        s.resolve(
            "scr_1",
            Resolution::FalsePositive,
            "rev",
            Some("another date of birth".into()),
            t(4),
        )
        .unwrap();
        assert_eq!(s.cases[0].state, CaseState::FalsePositive);
        assert!(
            s.resolve("scr_1", Resolution::Confirmed, "rev", None, t(5))
                .is_err()
        );
        s.resolve(
            "scr_1",
            Resolution::Confirmed,
            "rev",
            Some("x".into()),
            t(5),
        )
        .unwrap();
        assert_eq!(s.cases[0].state, CaseState::Confirmed);
    }

    #[test]
    fn a_false_positive_on_an_exact_match_needs_a_note() {
        let mut s = Screening::default();
        let mut id = ids();
        let mut exact = finding("1", false, "e", "s");
        exact.score = 1.0;
        exact.birth_date_equal = true;
        let mut same_year = finding("2", false, "e", "s");
        same_year.score = 1.0;
        let mut close = finding("3", false, "e", "s");
        close.score = 0.97;
        close.birth_date_equal = true;
        s.apply(vec![exact, same_year, close], vec![], t(1), &mut id);
        let err = s
            .resolve("scr_1", Resolution::FalsePositive, "rev", None, t(2))
            .unwrap_err();
        assert!(err.to_string().contains("exact match"), "{err}");
        s.resolve("scr_2", Resolution::FalsePositive, "rev", None, t(2))
            .unwrap();
        s.resolve("scr_3", Resolution::FalsePositive, "rev", None, t(2))
            .unwrap();
        s.resolve(
            "scr_1",
            Resolution::FalsePositive,
            "rev",
            Some("the passport photo is another person".into()),
            t(2),
        )
        .unwrap();
        assert_eq!(s.cases[0].state, CaseState::FalsePositive);
    }

    #[test]
    fn only_a_measure_that_decides_is_decisive() {
        let mut s = Screening::default();
        let mut id = ids();
        let mut findings = vec![];
        for (entity, m) in [
            ("1", Measure::Prohibition),
            ("2", Measure::Review),
            ("3", Measure::Informational),
        ] {
            let mut f = finding(entity, true, "e", "s");
            f.measure = m;
            findings.push(f);
        }
        s.apply(findings, vec![], t(1), &mut id);
        let states: Vec<CaseState> = s.cases.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [CaseState::Confirmed, CaseState::Open, CaseState::Open]
        );
        assert_eq!(ListMeasure::parse("review"), Ok(ListMeasure::Review));
        assert!(ListMeasure::parse("maybe").is_err());
        assert_eq!(
            Measure::from(ListMeasure::Informational),
            Measure::Informational
        );
    }
}
