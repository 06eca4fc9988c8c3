//! What the sign-up flow reports of a customer: contacts, means of payment, documents and
//! address changes. Each is checked (identifiers by custos-ids, kept in canonical form), then
//! applied through [`App::mutate`], which re-triages the customer and re-decides its accounts.

use chrono::{DateTime, NaiveDate, Utc};
use custos_core::payment::{self, AddPaymentMeans};
use custos_core::text::free_text;
use custos_core::{
    Account, Contact, ContactKind, Country, Customer, CustomerId, Document, DocumentKind,
    PaymentMeans, PaymentSource, SubjectId,
};
use custos_store::blind::card_fingerprint_key;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::service::{App, new_id};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddContact {
    /// The subject the contact belongs to; the customer itself when omitted.
    #[serde(default)]
    pub subject_id: Option<SubjectId>,
    pub kind: ContactKind,
    pub value: String,
    /// When the provider confirmed control of it.
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDocument {
    #[serde(default)]
    pub subject_id: Option<SubjectId>,
    pub kind: DocumentKind,
    pub issuing_country: Country,
    pub number: String,
    #[serde(default)]
    pub nationality: Option<Country>,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    pub mrz: Option<String>,
}

/// A record added to a customer, as the answer to adding it: its id and what it is, never the
/// personal data it holds (reading that back is `GET /v1/customers/{id}/record`, audited).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddedRecord {
    pub id: String,
    /// `contact`, `payment_means` or `document`.
    pub object: String,
    pub customer_id: CustomerId,
    /// The subject it belongs to (contacts and documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<SubjectId>,
    /// `email` or `phone`; `card`, `bank_account` or `wallet`; the document's kind.
    pub kind: String,
    pub added_at: DateTime<Utc>,
}

impl AddedRecord {
    fn new(
        object: &str,
        id: &str,
        customer: &CustomerId,
        subject: Option<SubjectId>,
        kind: String,
        at: DateTime<Utc>,
    ) -> AddedRecord {
        AddedRecord {
            id: id.to_owned(),
            object: object.to_owned(),
            customer_id: customer.clone(),
            subject_id: subject,
            kind,
            added_at: at,
        }
    }
}

/// The name serde gives a unit variant (`passport`, `email`).
fn kind_name(v: &impl Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A new residence address (individual) or primary address (entity), as the customer declared it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressChange {
    pub address: custos_core::Address,
}

impl App {
    /// Adds an email address or telephone number used to verify identity.
    /// It is kept in canonical form: E.164 for phones, the IDNA (ASCII) domain for emails.
    pub async fn add_contact(&self, id: &CustomerId, req: AddContact) -> Result<AddedRecord> {
        let raw = free_text("value", &req.value)?;
        let checked = match req.kind {
            ContactKind::Email => custos_ids::email::check(&raw),
            ContactKind::Phone => custos_ids::phone::check(&raw),
        };
        let value = checked
            .map_err(|e| Error::invalid("value", e))?
            .normalized
            .unwrap_or(raw);
        let cid = new_id("con_");
        let (added, _, _) = self
            .mutate(id, |c, _, now| {
                let subject = req
                    .subject_id
                    .clone()
                    .unwrap_or_else(|| c.customer_subject().clone());
                c.add_contact(Contact {
                    id: cid.clone(),
                    subject_id: subject.clone(),
                    kind: req.kind,
                    value: value.clone(),
                    verified_at: req.verified_at,
                    added_at: now,
                })?;
                Ok(AddedRecord::new(
                    "contact",
                    &cid,
                    id,
                    Some(subject),
                    kind_name(&req.kind),
                    now,
                ))
            })
            .await?;
        Ok(added)
    }

    /// Adds a means of payment (EO 1(a)(ii)(B)). A full card number is
    /// fingerprinted and dropped before anything is stored.
    pub async fn add_payment_means(
        &self,
        id: &CustomerId,
        req: &AddPaymentMeans,
    ) -> Result<AddedRecord> {
        let key = card_fingerprint_key(self.store().index_key());
        let instrument = payment::instrument(req, &key, self.now().date_naive())?;
        if let Some(PaymentSource::ThirdParty { name }) = &req.source {
            free_text("source.name", name)?;
        }
        let pid = new_id("pay_");
        let kind = match (&req.card, &req.bank_account) {
            (Some(_), _) => "card",
            (None, Some(_)) => "bank_account",
            (None, None) => "wallet",
        };
        let (added, _, _) = self
            .mutate(id, |c, _, now| {
                c.add_payment_means(PaymentMeans {
                    id: pid.clone(),
                    instrument: instrument.clone(),
                    financial_institution: req.financial_institution.clone(),
                    provider_customer_ref: req.provider_customer_ref.clone(),
                    transaction_ids: req.transaction_ids.clone(),
                    source: req.source.clone().unwrap_or(PaymentSource::Customer),
                    added_at: now,
                })?;
                Ok(AddedRecord::new(
                    "payment_means",
                    &pid,
                    id,
                    None,
                    kind.into(),
                    now,
                ))
            })
            .await?;
        Ok(added)
    }

    /// Adds documentary evidence; a document can change triage (a US passport makes its holder
    /// a US citizen). Returns the document as added, and the customer and its accounts after it.
    pub async fn add_document(
        &self,
        id: &CustomerId,
        req: AddDocument,
    ) -> Result<(AddedRecord, Customer, Vec<Account>)> {
        let policy = self.policy().clone();
        let did = new_id("doc_");
        let (added, c, accounts) = self
            .mutate(id, |c, _, now| {
                let subject = req
                    .subject_id
                    .clone()
                    .unwrap_or_else(|| c.customer_subject().clone());
                c.add_document(
                    Document {
                        id: did.clone(),
                        subject_id: subject.clone(),
                        kind: req.kind,
                        issuing_country: req.issuing_country.clone(),
                        number: req.number.clone(),
                        nationality: req.nationality.clone(),
                        expires_on: req.expires_on,
                        mrz: req.mrz.clone(),
                        added_at: now,
                    },
                    &policy,
                    now,
                )?;
                Ok(AddedRecord::new(
                    "document",
                    &did,
                    id,
                    Some(subject),
                    kind_name(&req.kind),
                    now,
                ))
            })
            .await?;
        Ok((added, c, accounts))
    }

    /// Records an address change the customer declared; triage is recomputed.
    pub async fn change_address(
        &self,
        id: &CustomerId,
        req: AddressChange,
    ) -> Result<(Customer, Vec<Account>)> {
        let policy = self.policy().clone();
        let (_, c, accounts) = self
            .mutate(id, |c, _, now| {
                c.change_address(req.address.clone(), &policy, now)?;
                Ok(())
            })
            .await?;
        Ok((c, accounts))
    }
}
