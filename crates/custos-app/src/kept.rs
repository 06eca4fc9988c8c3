//! The compliance program's records, typed: each kind is a type that says its kind, its id and
//! where it stands (what it is about, when it was made, when it is due, when it closed). They
//! are kept as compliance records (`custos_store::ComplianceRecord`: the clocks in columns,
//! the body as JSON), and read back as their type, never by a kind string.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use custos_core::exemptions::{Exemption, ExemptionScope};
use custos_store::{ComplianceRecord, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::program::{AdpDeviation, AdpReview, AiTrainingReport};
use crate::report::Filing;
use crate::resellers::{CipRequest, NonCompliance};
use crate::service::App;

/// Where a record stands, besides its body.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// What it is about: an account id, a customer id; none for the provider.
    pub subject: Option<String>,
    pub created: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
}

/// A kind of compliance record.
pub trait Kept: Serialize + DeserializeOwned {
    /// The kind it is stored under.
    const KIND: &'static str;
    /// What one is called when it is missing ("exemption", "non-compliance case").
    const NAME: &'static str;
    fn id(&self) -> String;
    fn place(&self) -> Place;
}

fn day(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

impl Kept for Exemption {
    const KIND: &'static str = "exemption";
    const NAME: &'static str = "exemption";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: match &self.scope {
                ExemptionScope::Lessee { customer_id } => Some(customer_id.as_str().to_owned()),
                _ => None,
            },
            created: self.starts,
            due: self.expires,
            closed: self.revoked_at,
        }
    }
}

impl Kept for AdpReview {
    const KIND: &'static str = "adp_review";
    const NAME: &'static str = "adp review";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: None,
            created: day(self.reviewed_on),
            due: self.next_review.map(day),
            closed: None,
        }
    }
}

impl Kept for AdpDeviation {
    const KIND: &'static str = "adp_deviation";
    const NAME: &'static str = "adp deviation";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: None,
            created: self.occurred_at,
            due: Some(self.notify_by),
            closed: self.notified_at,
        }
    }
}

impl Kept for AiTrainingReport {
    const KIND: &'static str = "ai_training_report";
    const NAME: &'static str = "ai training report";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: Some(self.customer_id.as_str().to_owned()),
            created: self.detected_at,
            due: Some(self.due_at),
            closed: self.filed_at,
        }
    }
}

impl Kept for Filing {
    const KIND: &'static str = "certification";
    const NAME: &'static str = "certification";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            created: self.filed_at,
            ..Default::default()
        }
    }
}

impl Kept for CipRequest {
    const KIND: &'static str = "cip_request";
    const NAME: &'static str = "CIP request";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: None,
            created: self.requested_at,
            due: Some(self.due_at),
            closed: self.fulfilled_at,
        }
    }
}

impl Kept for NonCompliance {
    const KIND: &'static str = "non_compliance";
    const NAME: &'static str = "non-compliance case";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        Place {
            subject: Some(self.account_id.as_str().to_owned()),
            created: self.flagged_at,
            due: Some(self.terminate_by),
            closed: self.closed_at,
        }
    }
}

/// Which reseller account created a customer (a reseller's key sees the customers it made).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerOwner {
    pub customer_id: custos_core::CustomerId,
    pub reseller_account_id: custos_core::AccountId,
    /// When it was recorded (absent from records kept before it was written in the body).
    #[serde(default)]
    pub at: DateTime<Utc>,
}

impl Kept for CustomerOwner {
    const KIND: &'static str = "customer_owner";
    const NAME: &'static str = "customer owner";
    fn id(&self) -> String {
        format!("owner:{}", self.customer_id)
    }
    fn place(&self) -> Place {
        Place {
            subject: Some(self.reseller_account_id.as_str().to_owned()),
            created: self.at,
            ..Default::default()
        }
    }
}

/// The last sweep: the day it covered. It shares the kind `sweep` with [`RescreenRequest`]:
/// both are read by their well-known ids, never listed by kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastSweep {
    pub day: String,
    pub at: DateTime<Utc>,
    /// The designations in force at that sweep, as told to webhooks: `(list, id, reference)`.
    /// Absent for a sweep before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_force: Option<Vec<(String, String, String)>>,
}

impl Kept for LastSweep {
    const KIND: &'static str = "sweep";
    const NAME: &'static str = "last sweep";
    fn id(&self) -> String {
        "sweep:last".into()
    }
    fn place(&self) -> Place {
        Place {
            created: self.at,
            ..Default::default()
        }
    }
}

/// A request that the next sweep screen every customer again; closed once one has.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RescreenRequest {
    pub requested_at: DateTime<Utc>,
    /// When a sweep screened every customer for it (absent from records kept before it was
    /// written in the body).
    #[serde(default)]
    pub done_at: Option<DateTime<Utc>>,
}

impl Kept for RescreenRequest {
    const KIND: &'static str = "sweep";
    const NAME: &'static str = "re-screening request";
    fn id(&self) -> String {
        "sweep:rescreen".into()
    }
    fn place(&self) -> Place {
        Place {
            created: self.requested_at,
            closed: self.done_at,
            ..Default::default()
        }
    }
}

/// When the compliance program started.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProgramStarted {
    pub started_at: DateTime<Utc>,
}

impl Kept for ProgramStarted {
    const KIND: &'static str = "program";
    const NAME: &'static str = "program start";
    fn id(&self) -> String {
        "program:started".into()
    }
    fn place(&self) -> Place {
        Place {
            created: self.started_at,
            ..Default::default()
        }
    }
}

fn body<R: Kept>(r: &ComplianceRecord) -> Result<R> {
    serde_json::from_value(r.body.clone())
        .map_err(|e| Error::Internal(format!("compliance record {}: {e}", r.id)))
}

impl App {
    /// Keeps a record (a new one, or a new state of one).
    pub(crate) async fn keep<R: Kept>(&self, r: &R) -> Result<()> {
        self.keep_with(r, &[]).await
    }

    /// Keeps a record and the outbox events of the change, in one transaction.
    pub(crate) async fn keep_with<R: Kept>(
        &self,
        r: &R,
        events: &[custos_store::OutboxEvent],
    ) -> Result<()> {
        let place = r.place();
        self.store()
            .put_compliance_record(
                &ComplianceRecord {
                    id: r.id(),
                    kind: R::KIND.to_owned(),
                    subject: place.subject,
                    created_at: place.created,
                    due_at: place.due,
                    closed_at: place.closed,
                    body: serde_json::to_value(r)
                        .map_err(|e| Error::Internal(format!("compliance record: {e}")))?,
                },
                events,
            )
            .await?;
        Ok(())
    }

    /// A record of this kind, with its stored form; `None` when there is none.
    pub(crate) async fn kept<R: Kept>(&self, id: &str) -> Result<Option<(ComplianceRecord, R)>> {
        match self.store().compliance_record(id).await {
            Ok(r) if r.kind == R::KIND => {
                let b = body(&r)?;
                Ok(Some((r, b)))
            }
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A record of this kind; not found when there is none.
    pub(crate) async fn kept_one<R: Kept>(&self, id: &str) -> Result<R> {
        self.kept(id)
            .await?
            .map(|(_, r)| r)
            .ok_or_else(|| Error::NotFound(format!("{} {id}", R::NAME)))
    }

    /// Every record of this kind.
    pub(crate) async fn all_kept<R: Kept>(&self) -> Result<Vec<R>> {
        self.store()
            .compliance_records(R::KIND, None)
            .await?
            .iter()
            .map(body)
            .collect()
    }
}
