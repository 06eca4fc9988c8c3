//! Legal process: the requests agencies serve (a subpoena, a 2703(d) order, a warrant, an
//! emergency request, a preservation letter), their lifecycle, the preservation that freezes
//! their scope against retention, and the records packages that answer them
//! ([`package`], checked by [`verify`]).
//!
//! A request is kept as a compliance record ([`LegalRequest`]: the clocks, the states, the
//! scope's ids) with its personal part sealed beside it ([`Sealed`]: the officer, the
//! identifiers and addresses the scope names, the emergency's justification), and the served
//! document sealed as a document. Producing records needs a second person's approval
//! ([`crate::approvals`]); every production is recorded as a disclosure in the audit trail.
//! While a non-disclosure order is in force nothing about the request reaches the customer or
//! its reseller: requests emit no outbox events, and reseller keys cannot reach them.

mod document;
pub mod orders;
pub mod package;
mod preservation;
pub mod proofs;
pub mod verify;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use custos_core::legal::{Category, Instrument, RequestState};
use custos_core::{AccountId, CustomerId};
use custos_store::{DocumentMeta, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::kept::{Kept, Place};
use crate::keys::{Caller, Permission};
use crate::reads::SearchInput;
use crate::service::{Actor, App, new_id};

/// The sealed part's document kind, and the served document's.
const SEALED_KIND: &str = "legal_request";
const SERVED_KIND: &str = "legal_served_document";
/// A package kept for download (a production made through the API).
pub(crate) const PRODUCTION_KIND: &str = "legal_production";

/// Whether a sealed document is a legal request's (its sealed part, its served document, a
/// production): those are read through the legal operations alone, never as program
/// documents.
pub fn is_legal_document(kind: &str) -> bool {
    [SEALED_KIND, SERVED_KIND, PRODUCTION_KIND].contains(&kind)
}

/// The largest served document kept.
pub const MAX_DOCUMENT: usize = 20 * 1024 * 1024;

/// The officer who served the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// What a request reaches: accounts, customers (named, or found by an identifier), the
/// addresses or networks the events must come from, a time range, record categories.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub customers: Vec<String>,
    /// Identifiers to find customers by (an email, a phone, a card number: fingerprinted and
    /// dropped, never kept).
    #[serde(default)]
    pub identifiers: Vec<SearchInput>,
    /// Addresses or networks (`ADDR/LEN`): only events from them are produced.
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// The categories asked for; none: every category the instrument reaches.
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// A legal request as it is recorded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub agency: String,
    pub case_number: String,
    pub instrument: Instrument,
    /// The issuing court (orders and warrants).
    #[serde(default)]
    pub court: Option<String>,
    pub served_at: DateTime<Utc>,
    /// How it was served: `email`, `portal`, `mail`, `in person`, ...
    #[serde(default)]
    pub served_how: Option<String>,
    #[serde(default)]
    pub due: Option<NaiveDate>,
    /// When the non-disclosure order (18 U.S.C. 2705(b)) expires.
    #[serde(default)]
    pub ndo_expires: Option<NaiveDate>,
    #[serde(default)]
    pub officer: Option<Officer>,
    /// How the officer's contact was verified (a call back to the agency's published number).
    #[serde(default)]
    pub contact_verified: Option<String>,
    /// Why an emergency disclosure is made: required for `emergency`.
    #[serde(default)]
    pub justification: Option<String>,
    pub scope: ScopeInput,
}

/// The served document, kept sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServedDocument {
    pub document_id: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    /// SHA-256 of the document, hex.
    pub sha256: String,
    pub attached_at: DateTime<Utc>,
    pub attached_by: String,
}

/// One production: what was disclosed, to whom, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Production {
    pub id: String,
    pub produced_at: DateTime<Utc>,
    pub produced_by: String,
    /// Who received it (the agency, unless named).
    pub recipient: String,
    pub categories: Vec<Category>,
    pub customers: Vec<CustomerId>,
    /// Customers in scope whose records retention had destroyed before.
    #[serde(default)]
    pub destroyed: Vec<CustomerId>,
    pub events: u64,
    /// The access log's size at the checkpoint the package was cut at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_size: Option<u64>,
    /// SHA-256 of the package's `manifest-sha256.txt`, hex.
    pub manifest_sha256: String,
    /// The package kept sealed for download (productions made through the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
}

/// A step in a request's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub by: String,
    pub state: RequestState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A legal hold a request placed, on a customer in its scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Held {
    pub customer_id: CustomerId,
    pub hold_id: String,
}

/// An identifier a scope named, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Named {
    /// `email`, `phone`, `national_id`, `card`, `iban` or `wallet`.
    pub kind: String,
    pub value: String,
}

/// A legal request as kept: no personal data (that is [`Sealed`]).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegalRequest {
    pub id: String,
    /// Always `legal_request`.
    #[serde(default = "object")]
    pub object: String,
    pub agency: String,
    pub case_number: String,
    pub instrument: Instrument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
    pub served_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndo_expires: Option<NaiveDate>,
    pub state: RequestState,
    pub received_at: DateTime<Utc>,
    pub received_by: String,
    /// The accounts in scope: those named, and those of the customers in scope.
    pub accounts: Vec<AccountId>,
    /// The customers in scope: named, found by identifiers, or owning the accounts named.
    pub customers: Vec<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// The categories a production holds.
    pub categories: Vec<Category>,
    /// Whether the events are limited to addresses the scope names (sealed).
    #[serde(default)]
    pub ip_limited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<ServedDocument>,
    /// Until when its scope is preserved (a preservation request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserved_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub preservation_extended: bool,
    /// The legal holds that preserve its scope, by customer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<Held>,
    /// The approval a second person gives before records are produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub productions: Vec<Production>,
    #[serde(default)]
    pub history: Vec<Step>,
}

fn object() -> String {
    "legal_request".into()
}

/// The personal part of a request, sealed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sealed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer: Option<Officer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_verified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The identifiers named, as kept (a card as its brand, BIN and last four digits).
    #[serde(default)]
    pub identifiers: Vec<Named>,
    #[serde(default)]
    pub ips: Vec<String>,
}

/// A request with its sealed part, for one who may read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    #[serde(flatten)]
    pub request: LegalRequest,
    pub sealed: Sealed,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

impl Kept for LegalRequest {
    const KIND: &'static str = "legal_request";
    const NAME: &'static str = "legal request";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn place(&self) -> Place {
        let closed = matches!(
            self.state,
            RequestState::Rejected
                | RequestState::Withdrawn
                | RequestState::Produced
                | RequestState::PartiallyProduced
        ) || self.instrument == Instrument::Preservation;
        Place {
            subject: None,
            created: self.received_at,
            due: self.due.map(midnight).or(self.preserved_until),
            closed: closed.then(|| self.history.last().map(|s| s.at)).flatten(),
        }
    }
}

impl LegalRequest {
    /// Whether its non-disclosure order is in force at `now`.
    pub fn ndo_in_force(&self, now: DateTime<Utc>) -> bool {
        self.ndo_expires.is_some_and(|d| midnight(d) > now)
    }

    fn step(&mut self, at: DateTime<Utc>, by: &str, state: RequestState, note: Option<String>) {
        self.state = state;
        self.history.push(Step {
            at,
            by: by.to_owned(),
            state,
            note,
        });
    }
}

fn text(field: &str, v: &str) -> Result<String> {
    Ok(custos_core::text::free_text(field, v)?)
}

fn opt_text(field: &str, v: &Option<String>) -> Result<Option<String>> {
    v.as_deref().map(|v| text(field, v)).transpose()
}

/// A card as it may be kept: brand, BIN and last four digits.
fn shown(kind: &crate::reads::SearchKind, value: &str) -> String {
    match kind {
        crate::reads::SearchKind::Card => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 10 {
                format!("{}…{}", &digits[..6], &digits[digits.len() - 4..])
            } else {
                "(a card)".into()
            }
        }
        _ => value.to_owned(),
    }
}

impl App {
    /// Records a legal request. Its scope must name what exists; the categories asked for
    /// must be reached by its instrument. A preservation freezes its scope at once; any other
    /// instrument waits for a second person's approval before anything is produced (the
    /// approval is asked here: its id is in `approval_id`).
    pub async fn add_legal_request(
        &self,
        caller: &Caller,
        input: RequestInput,
    ) -> Result<RequestView> {
        self.add_legal_request_with_id(caller, new_id("lreq_"), input)
            .await
    }

    /// [`App::add_legal_request`] under a given id (the demo's well-known requests).
    pub async fn add_legal_request_with_id(
        &self,
        caller: &Caller,
        id: String,
        input: RequestInput,
    ) -> Result<RequestView> {
        caller.require(Permission::LegalHold)?;
        if self.kept::<LegalRequest>(&id).await?.is_some() {
            return Err(Error::Conflict(format!("legal request {id} exists")));
        }
        let actor = caller.actor();
        let now = self.now();
        let agency = text("agency", &input.agency)?;
        let case_number = text("case_number", &input.case_number)?;
        let court = opt_text("court", &input.court)?;
        // What the declaration's PDF prints must print as written.
        crate::report::printable("agency", &agency)?;
        crate::report::printable("case_number", &case_number)?;
        if let Some(c) = &court {
            crate::report::printable("court", c)?;
        }
        if court.is_none()
            && matches!(
                input.instrument,
                Instrument::CourtOrder2703d | Instrument::Warrant
            )
        {
            return Err(Error::invalid(
                "court",
                "name the court that issued the order or the warrant",
            ));
        }
        let served_how = opt_text("served_how", &input.served_how)?;
        let contact_verified = opt_text("contact_verified", &input.contact_verified)?;
        let justification = opt_text("justification", &input.justification)?;
        if custos_ledger::event::too_far_ahead(input.served_at, now) {
            return Err(Error::invalid("served_at", "is in the future"));
        }
        if let Some(d) = input.due
            && midnight(d) + chrono::Duration::days(1) <= input.served_at
        {
            return Err(Error::invalid("due", "is before the request was served"));
        }
        if let Some(d) = input.ndo_expires
            && midnight(d) <= input.served_at
        {
            return Err(Error::invalid(
                "ndo_expires",
                "is before the request was served",
            ));
        }
        if input.instrument == Instrument::Emergency && justification.is_none() {
            return Err(Error::invalid(
                "justification",
                "an emergency disclosure needs its written justification: the danger of death \
                 or serious physical injury that requires it without delay",
            ));
        }
        let officer = match &input.officer {
            Some(o) => Some(Officer {
                name: text("officer.name", &o.name)?,
                email: match &o.email {
                    Some(e) => {
                        custos_ids::email::check(e)
                            .map_err(|e| Error::invalid("officer.email", e))?
                            .normalized
                    }
                    None => None,
                },
                phone: opt_text("officer.phone", &o.phone)?,
            }),
            None => None,
        };
        let categories = self
            .policy()
            .legal
            .categories(input.instrument, &input.scope.categories)?;
        let scope = &input.scope;
        if let (Some(f), Some(t)) = (scope.from, scope.to)
            && f > t
        {
            return Err(Error::invalid("scope.from", "is after scope.to"));
        }
        if scope
            .from
            .is_some_and(|f| custos_ledger::event::too_far_ahead(f, now))
        {
            return Err(Error::invalid(
                "scope.from",
                "is in the future: no record is kept from then yet",
            ));
        }
        let mut ips = vec![];
        for (i, n) in scope.ips.iter().enumerate() {
            custos_ledger::index::Net::parse(n).ok_or_else(|| {
                Error::invalid(
                    format!("scope.ips[{i}]"),
                    "is not an address or a network (ADDR/LEN)",
                )
            })?;
            ips.push(n.trim().to_owned());
        }
        if scope.accounts.is_empty() && scope.customers.is_empty() && scope.identifiers.is_empty() {
            return Err(Error::invalid(
                "scope",
                "name the accounts, customers or identifiers the request reaches",
            ));
        }
        if scope.accounts.len() + scope.customers.len() + scope.identifiers.len() > 1000 {
            return Err(Error::invalid("scope", "names more than 1000 records"));
        }
        // What the scope names must exist: a typo in an id is an error, not an empty package.
        let mut customers: Vec<CustomerId> = vec![];
        let mut accounts: Vec<AccountId> = vec![];
        for (i, a) in scope.accounts.iter().enumerate() {
            let field = format!("scope.accounts[{i}]");
            let id = AccountId::parse(a).map_err(|e| Error::invalid(&field, e.to_string()))?;
            let acc = match self.store().get_account(&id).await {
                Ok(acc) => acc,
                Err(StoreError::NotFound(_)) => {
                    return Err(Error::invalid(field, "is not a known account"));
                }
                Err(e) => return Err(e.into()),
            };
            accounts.push(acc.id);
            customers.push(acc.customer_id);
        }
        for (i, c) in scope.customers.iter().enumerate() {
            let field = format!("scope.customers[{i}]");
            let id = CustomerId::parse(c).map_err(|e| Error::invalid(&field, e.to_string()))?;
            match self.store().load_summary(&id).await {
                Ok(_) => {}
                // Destroyed by retention: named, produced as destroyed.
                Err(StoreError::Destroyed(_)) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(Error::invalid(field, "is not a known customer"));
                }
                Err(e) => return Err(e.into()),
            }
            customers.push(id);
        }
        let mut identifiers = vec![];
        for (i, s) in scope.identifiers.iter().enumerate() {
            let found = self
                .search_customers(
                    &actor,
                    &format!("legal request {agency} {case_number}"),
                    s.kind,
                    s.value.clone(),
                )
                .await
                .map_err(|e| match e {
                    Error::Validation { detail, .. } => {
                        Error::invalid(format!("scope.identifiers[{i}].value"), detail)
                    }
                    e => e,
                })?;
            if found.is_empty() {
                return Err(Error::invalid(
                    format!("scope.identifiers[{i}]"),
                    "no customer's records hold it",
                ));
            }
            identifiers.push(Named {
                kind: serde_json::to_value(s.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                value: shown(&s.kind, &s.value),
            });
            customers.extend(found);
        }
        customers.sort();
        customers.dedup();
        // The accounts of the customers in scope are in scope too.
        for c in &customers {
            for a in self.store().accounts_of(c).await? {
                accounts.push(a.id);
            }
        }
        accounts.sort();
        accounts.dedup();
        let mut r = LegalRequest {
            id: id.clone(),
            object: object(),
            agency,
            case_number,
            instrument: input.instrument,
            court,
            served_at: input.served_at,
            served_how,
            due: input.due,
            ndo_expires: input.ndo_expires,
            state: RequestState::Received,
            received_at: now,
            received_by: actor.id.clone(),
            accounts,
            customers,
            from: scope.from,
            to: scope.to,
            categories,
            ip_limited: !ips.is_empty(),
            document: None,
            preserved_until: None,
            preservation_extended: false,
            holds: vec![],
            approval_id: None,
            approved_by: None,
            approved_at: None,
            productions: vec![],
            history: vec![],
        };
        r.step(now, &actor.id, RequestState::Received, None);
        let sealed = Sealed {
            officer,
            contact_verified,
            justification,
            identifiers,
            ips,
        };
        // What can still refuse it is checked before anything is written: a scope whose every
        // customer retention destroyed has nothing left to preserve or produce.
        if !r.customers.is_empty() && self.kept_customer(&r).await?.is_none() {
            return Err(Error::Conflict(
                "every customer in scope was destroyed by retention: nothing is left to \
                 preserve or produce"
                    .into(),
            ));
        }
        {
            // The same process recorded twice (a form sent again, a retry) is one request: the
            // check and the write are one step.
            let _once = self.once.lock().await;
            if let Some(open) = self
                .all_kept::<LegalRequest>()
                .await?
                .into_iter()
                .find(|o| {
                    !o.state.is_final()
                        && o.instrument == r.instrument
                        && o.agency == r.agency
                        && o.case_number == r.case_number
                })
            {
                return Err(Error::Conflict(format!(
                    "a {} of {} in case {} is recorded already: legal request {}",
                    r.instrument.as_str(),
                    r.agency,
                    r.case_number,
                    open.id
                )));
            }
            self.seal_request(&r, &sealed, &actor).await?;
            if r.instrument == Instrument::Preservation {
                self.preserve(&mut r, &actor, false).await?;
            } else {
                // Served process keeps what it reaches until it is answered: retention
                // destroys nothing in scope meanwhile.
                r.holds = self.hold_scope(&r, &actor, None).await?;
            }
            self.keep(&r).await?;
        }
        self.audit(
            &actor,
            None,
            "record_legal_request",
            &format!("{id} {}", r.instrument.as_str()),
        )
        .await?;
        if r.instrument != Instrument::Preservation {
            let a = self.ask_legal_approval(&actor, &r).await?;
            r.approval_id = Some(a);
            self.keep(&r).await?;
        }
        Ok(RequestView { request: r, sealed })
    }

    /// Keeps the sealed part (a new version of it).
    async fn seal_request(&self, r: &LegalRequest, s: &Sealed, actor: &Actor) -> Result<()> {
        let body = serde_json::to_vec(s)
            .map_err(|e| Error::Internal(format!("a legal request's sealed part: {e}")))?;
        self.store()
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: r.id.clone(),
                    kind: SEALED_KIND.into(),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: actor.id.clone(),
                    file_name: "request.json".into(),
                    media_type: "application/json".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
                    size: body.len() as u64,
                },
                &body,
            )
            .await?;
        Ok(())
    }

    async fn sealed_of(&self, id: &str) -> Result<Sealed> {
        let Some(last) = self
            .store()
            .documents(Some(id), Some(SEALED_KIND))
            .await?
            .into_iter()
            .last()
        else {
            return Ok(Sealed::default());
        };
        let (_, body) = self.store().document(&last.id).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Internal(format!("a legal request's sealed part: {e}")))
    }

    /// Asks a second person to approve the production (or, for an emergency, the disclosure).
    async fn ask_legal_approval(&self, actor: &Actor, r: &LegalRequest) -> Result<String> {
        let kind = if r.instrument == Instrument::Emergency {
            "emergency_disclosure"
        } else {
            "produce_records"
        };
        // The approval is sealed under a customer's key: the first one still kept.
        let Some(customer) = self.kept_customer(r).await? else {
            return Err(Error::Conflict(
                "every customer in scope was destroyed by retention: nothing is left to produce"
                    .into(),
            ));
        };
        let body = serde_json::json!({
            "reason": format!("{} {} ({})", r.agency, r.case_number, r.instrument.as_str()),
        });
        Ok(self.ask(actor, kind, &customer, &r.id, body).await?.id)
    }

    /// The first customer in scope whose records are kept (not destroyed by retention).
    async fn kept_customer(&self, r: &LegalRequest) -> Result<Option<CustomerId>> {
        for c in &r.customers {
            match self.store().load_summary(c).await {
                Ok(_) => return Ok(Some(c.clone())),
                Err(StoreError::Destroyed(_) | StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Applies an approved production: the request becomes `approved`, by its approver.
    pub(crate) async fn legal_approved(&self, approver: &Actor, id: &str) -> Result<()> {
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        r.state.check(RequestState::Approved)?;
        r.approved_by = Some(approver.id.clone());
        r.approved_at = Some(self.now());
        r.step(self.now(), &approver.id, RequestState::Approved, None);
        self.keep(&r).await?;
        Ok(())
    }

    /// Where a request stands, for the approvals' check that nothing changed meanwhile.
    pub(crate) async fn legal_standing(&self, id: &str) -> Result<String> {
        let r = self.kept_one::<LegalRequest>(id).await?;
        // Reviewing it changes nothing the approval decides on: received and in review are
        // one standing.
        let open = matches!(r.state, RequestState::Received | RequestState::InReview);
        let state = if open { "open" } else { r.state.as_str() };
        serde_json::to_string(&(state, &r.categories, &r.accounts, &r.customers))
            .map_err(|e| Error::Internal(format!("a decision's standing: {e}")))
    }

    /// Moves a request to `in_review`, `rejected` or `withdrawn` (approval and production
    /// have their own operations).
    pub async fn set_legal_state(
        &self,
        caller: &Caller,
        id: &str,
        to: RequestState,
        note: Option<String>,
    ) -> Result<LegalRequest> {
        caller.require(Permission::LegalHold)?;
        let actor = caller.actor();
        if !matches!(
            to,
            RequestState::InReview | RequestState::Rejected | RequestState::Withdrawn
        ) {
            return Err(Error::invalid(
                "state",
                "must be in_review, rejected or withdrawn (a second person approves; a \
                 production produces)",
            ));
        }
        let note = opt_text("note", &note)?;
        if to == RequestState::Rejected && note.is_none() {
            return Err(Error::invalid("note", "say why the request is rejected"));
        }
        let _once = self.once.lock().await;
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        r.state.check(to)?;
        r.step(self.now(), &actor.id, to, note);
        // A request rejected or withdrawn no longer waits for approval.
        if to != RequestState::InReview
            && let Some(a) = &r.approval_id
            && let Ok(ap) = self.store().approval(a).await
            && ap.state == "pending"
        {
            self.store()
                .decide_approval(a, "pending", "rejected", &actor.id, self.now())
                .await?;
        }
        if to != RequestState::InReview {
            self.release_scope(&mut r, &actor).await?;
        }
        self.keep(&r).await?;
        self.audit(&actor, None, &format!("legal_request_{}", to.as_str()), id)
            .await?;
        Ok(r)
    }

    /// Attaches the served document, sealed, with its SHA-256 (a new version replaces it).
    pub async fn attach_served_document(
        &self,
        caller: &Caller,
        id: &str,
        file_name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<LegalRequest> {
        caller.require(Permission::LegalHold)?;
        let actor = caller.actor();
        if content.is_empty() {
            return Err(Error::invalid("document", "is empty"));
        }
        if content.len() > MAX_DOCUMENT {
            return Err(Error::TooLarge(format!(
                "the served document is larger than {} MiB",
                MAX_DOCUMENT / 1024 / 1024
            )));
        }
        let file_name = text("file_name", file_name)?;
        if file_name.contains(['/', '\\']) || file_name.chars().all(|c| c == '.') {
            return Err(Error::invalid(
                "file_name",
                "must be a file's name, not a path",
            ));
        }
        let _once = self.once.lock().await;
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        if r.state.is_final() {
            return Err(Error::Conflict(format!(
                "legal request {id} is {}",
                r.state.as_str()
            )));
        }
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content));
        let meta = self
            .store()
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: id.to_owned(),
                    kind: SERVED_KIND.into(),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: actor.id.clone(),
                    file_name: file_name.clone(),
                    media_type: media_type.to_owned(),
                    sha256: sha256.clone(),
                    size: content.len() as u64,
                },
                content,
            )
            .await?;
        r.document = Some(ServedDocument {
            document_id: meta.id,
            file_name,
            media_type: media_type.to_owned(),
            size: content.len() as u64,
            sha256,
            attached_at: self.now(),
            attached_by: actor.id.clone(),
        });
        self.keep(&r).await?;
        self.audit(&actor, None, "attach_served_document", id)
            .await?;
        Ok(r)
    }

    /// The served document, unsealed (audited).
    pub async fn served_document(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(DocumentMeta, Vec<u8>)> {
        caller.require(Permission::LegalHold)?;
        let r = self.kept_one::<LegalRequest>(id).await?;
        let Some(d) = r.document else {
            return Err(Error::NotFound(format!(
                "a served document of legal request {id}"
            )));
        };
        self.audit(&caller.actor(), None, "read_served_document", id)
            .await?;
        Ok(self.store().document(&d.document_id).await?)
    }

    /// Every legal request, oldest first (no personal data).
    pub async fn legal_requests(&self, caller: &Caller) -> Result<Vec<LegalRequest>> {
        caller.require(Permission::LegalHold)?;
        self.all_kept::<LegalRequest>().await
    }

    /// A legal request with its sealed part: reading it is audited.
    pub async fn legal_request(&self, caller: &Caller, id: &str) -> Result<RequestView> {
        caller.require(Permission::LegalHold)?;
        let request = self.kept_one::<LegalRequest>(id).await?;
        self.audit(&caller.actor(), None, "read_legal_request", id)
            .await?;
        let sealed = self.sealed_of(id).await?;
        Ok(RequestView { request, sealed })
    }

    /// The request, without its sealed part (no audit: no personal data).
    pub async fn legal_request_record(&self, id: &str) -> Result<LegalRequest> {
        self.kept_one::<LegalRequest>(id).await
    }

    /// Approves the production of a request, as the second person: its pending approval.
    pub async fn approve_legal(&self, caller: &Caller, id: &str) -> Result<LegalRequest> {
        let r = self.kept_one::<LegalRequest>(id).await?;
        let Some(a) = r.approval_id else {
            return Err(Error::Conflict(format!(
                "legal request {id} produces nothing: a preservation needs no approval"
            )));
        };
        self.approve(caller, &a).await?;
        self.kept_one::<LegalRequest>(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_is_kept_as_its_bin_and_last_four() {
        assert_eq!(
            shown(&crate::reads::SearchKind::Card, "4111 1111 1111 1111"),
            "411111…1111"
        );
        assert_eq!(
            shown(&crate::reads::SearchKind::Email, "a@example.com"),
            "a@example.com"
        );
    }
}
