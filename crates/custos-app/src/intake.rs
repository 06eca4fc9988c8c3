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
use serde::Deserialize;
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

/// A new residence address (individual) or primary address (entity), as the customer declared it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressChange {
    pub address: custos_core::Address,
}

impl App {
    /// Adds an email address or telephone number used to verify identity; returns its id.
    /// It is kept in canonical form: E.164 for phones, the IDNA (ASCII) domain for emails.
    pub async fn add_contact(&self, id: &CustomerId, req: AddContact) -> Result<String> {
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
        self.mutate(id, |c, _, now| {
            let subject = req
                .subject_id
                .clone()
                .unwrap_or_else(|| c.customer_subject().clone());
            c.add_contact(Contact {
                id: cid.clone(),
                subject_id: subject,
                kind: req.kind,
                value: value.clone(),
                verified_at: req.verified_at,
                added_at: now,
            })?;
            Ok(())
        })
        .await?;
        Ok(cid)
    }

    /// Adds a means of payment (EO 1(a)(ii)(B)); returns its id. A full card number is
    /// fingerprinted and dropped before anything is stored.
    pub async fn add_payment_means(
        &self,
        id: &CustomerId,
        req: &AddPaymentMeans,
    ) -> Result<String> {
        let key = card_fingerprint_key(self.store().index_key());
        let instrument = payment::instrument(req, &key, self.now().date_naive())?;
        if let Some(PaymentSource::ThirdParty { name }) = &req.source {
            free_text("source.name", name)?;
        }
        let pid = new_id("pay_");
        self.mutate(id, |c, _, now| {
            c.add_payment_means(PaymentMeans {
                id: pid.clone(),
                instrument: instrument.clone(),
                financial_institution: req.financial_institution.clone(),
                provider_customer_ref: req.provider_customer_ref.clone(),
                transaction_ids: req.transaction_ids.clone(),
                source: req.source.clone().unwrap_or(PaymentSource::Customer),
                added_at: now,
            })?;
            Ok(())
        })
        .await?;
        Ok(pid)
    }

    /// Adds documentary evidence; a document can change triage (a US passport makes its holder
    /// a US citizen). Returns the customer and its accounts after it.
    pub async fn add_document(
        &self,
        id: &CustomerId,
        req: AddDocument,
    ) -> Result<(Customer, Vec<Account>)> {
        let policy = self.policy().clone();
        let (_, c, accounts) = self
            .mutate(id, |c, _, now| {
                let subject = req
                    .subject_id
                    .clone()
                    .unwrap_or_else(|| c.customer_subject().clone());
                c.add_document(
                    Document {
                        id: new_id("doc_"),
                        subject_id: subject,
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
                Ok(())
            })
            .await?;
        Ok((c, accounts))
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
