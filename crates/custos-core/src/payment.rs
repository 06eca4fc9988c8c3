//! Means of payment (EO 1(a)(ii)(B)): the checks a reported card, bank account or wallet must
//! pass, and what of it may be kept. A full card number is never kept: it is reduced to brand,
//! BIN, last four and a keyed fingerprint here, before anything is stored.

use chrono::{Datelike, NaiveDate};
use custos_ids::card::facts;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::customer::{PaymentInstrument, PaymentSource};
use crate::error::CoreError;
use crate::ids::Country;
use crate::text::free_text;

/// A payment card. Send either the full `number` (custos keeps brand, BIN, last four and a keyed
/// fingerprint, and drops the number) or, when the processor holds the number, `bin` and `last4`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub bin: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
    pub expiry_month: u8,
    pub expiry_year: u16,
    /// The issuing country, as the payment processor reports it (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub country: Option<Country>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountInput {
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub account_number: Option<String>,
    #[serde(default)]
    pub routing_number: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
    #[serde(default)]
    pub country: Option<Country>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletInput {
    pub chain: String,
    pub address: String,
}

/// A means of payment: exactly one of `card`, `bank_account` or `wallet`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPaymentMeans {
    #[serde(default)]
    pub card: Option<CardInput>,
    #[serde(default)]
    pub bank_account: Option<BankAccountInput>,
    #[serde(default)]
    pub wallet: Option<WalletInput>,
    #[serde(default)]
    pub financial_institution: Option<String>,
    #[serde(default)]
    pub provider_customer_ref: Option<String>,
    #[serde(default)]
    pub transaction_ids: Vec<String>,
    /// Who pays; the customer itself when omitted.
    #[serde(default)]
    pub source: Option<PaymentSource>,
}

/// The instrument to keep of a reported means of payment, checked. `fingerprint_key` is the
/// key full card numbers are fingerprinted under; `today` bounds a card's expiry year.
pub fn instrument(
    req: &AddPaymentMeans,
    fingerprint_key: &[u8; 32],
    today: NaiveDate,
) -> Result<PaymentInstrument, CoreError> {
    match (&req.card, &req.bank_account, &req.wallet) {
        (Some(card), None, None) => {
            if !(1..=12).contains(&card.expiry_month) {
                return Err(CoreError::invalid("card.expiry_month", "must be 1 to 12"));
            }
            let this_year = today.year();
            if !(2000..=2100).contains(&i32::from(card.expiry_year))
                || i32::from(card.expiry_year) < this_year - 30
            {
                return Err(CoreError::invalid(
                    "card.expiry_year",
                    "is not a plausible year",
                ));
            }
            let (brand, bin, last4, fingerprint) = match &card.number {
                Some(n) => {
                    let f = facts(n, fingerprint_key)
                        .map_err(|e| CoreError::invalid("card.number", e))?;
                    (f.brand.to_owned(), f.bin, f.last4, f.fingerprint)
                }
                None => {
                    let bin = card.bin.clone().unwrap_or_default();
                    let last4 = card.last4.clone().unwrap_or_default();
                    if !(6..=8).contains(&bin.len()) || !bin.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(CoreError::invalid("card.bin", "must be 6 to 8 digits"));
                    }
                    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(CoreError::invalid("card.last4", "must be 4 digits"));
                    }
                    let brand = card.brand.clone().unwrap_or_else(|| {
                        custos_ids::card::brand(&bin)
                            .map_or("unknown", |b| b.0)
                            .to_owned()
                    });
                    (brand, bin, last4, String::new())
                }
            };
            Ok(PaymentInstrument::Card {
                brand,
                bin,
                last4,
                expiry_month: card.expiry_month,
                expiry_year: card.expiry_year,
                fingerprint,
                country: card.country.clone(),
            })
        }
        (None, Some(b), None) => {
            let iban = b
                .iban
                .as_deref()
                .map(|i| {
                    custos_ids::bank::iban(i)
                        .map(|p| p.normalized.unwrap_or_default())
                        .map_err(|e| CoreError::invalid("bank_account.iban", e))
                })
                .transpose()?;
            if let Some(bic) = &b.bic {
                custos_ids::bank::bic(bic)
                    .map_err(|e| CoreError::invalid("bank_account.bic", e))?;
            }
            if iban.is_none() && b.account_number.is_none() {
                return Err(CoreError::invalid(
                    "bank_account",
                    "needs an `iban` or an `account_number`",
                ));
            }
            if let Some(a) = &b.account_number {
                free_text("bank_account.account_number", a)?;
            }
            if let Some(r) = &b.routing_number {
                free_text("bank_account.routing_number", r)?;
                let us = b.country.as_ref().is_none_or(|c| c.as_str() == "US");
                if us {
                    custos_ids::us::aba(r)
                        .map_err(|e| CoreError::invalid("bank_account.routing_number", e))?;
                }
            }
            Ok(PaymentInstrument::BankAccount {
                iban,
                bic: b.bic.as_ref().map(|s| s.trim().to_ascii_uppercase()),
                account_number: b.account_number.clone(),
                routing_number: b.routing_number.clone(),
                country: b.country.clone(),
            })
        }
        (None, None, Some(w)) => {
            let chain = free_text("wallet.chain", &w.chain)?.to_ascii_lowercase();
            let address = free_text("wallet.address", &w.address)?;
            let p = custos_ids::wallet::check(&format!("{chain}:{address}"))
                .map_err(|e| CoreError::invalid("wallet.address", e))?;
            Ok(PaymentInstrument::Wallet {
                chain,
                address: p.normalized.unwrap_or(address),
            })
        }
        _ => Err(CoreError::invalid(
            "",
            "send exactly one of `card`, `bank_account` or `wallet`",
        )),
    }
}
