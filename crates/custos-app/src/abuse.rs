//! Abuse reports traced to accounts, and the cases they open.
//!
//! A report names an address and a time (or an account), a category, the evidence and its
//! references. The ledger says which accounts used that address around that time
//! (`detection.trace_minutes` either side), with inclusion proofs of their first and last use
//! against the latest signed checkpoint; a case opens on each (one report, one report id), and
//! a report no account matches is kept as an unmatched case, never dropped. The report and the
//! trace are sealed as the case's evidence (a read of it is audited, with a purpose); the case
//! holds the workflow: its actions (suspend, lift, preserve, close for abuse, dismiss), who
//! took each and when, when it was due and when it was handled.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use custos_core::abuse::{AbuseCase, Action, CaseKind, CaseState, Category};
use custos_core::{AccountId, CustomerId};
use custos_store::{ComplianceRecord, DocumentMeta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::approvals::Decided;
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{Actor, App, new_id};

/// The kind of compliance record a case is kept as.
pub const CASE_KIND: &str = "abuse_case";
/// The kind of sealed document a case's evidence is kept as.
pub(crate) const EVIDENCE_KIND: &str = "abuse_evidence";
/// The kind of sealed document a note given with an action is kept as.
const NOTE_KIND: &str = "abuse_note";
/// The most evidence a report carries (characters).
const MAX_EVIDENCE: usize = 20_000;
/// The most accounts one report opens cases on (a busy shared address).
const MAX_MATCHES: usize = 20;

/// An abuse report, as the abuse desk (or a peer) sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbuseReport {
    /// The address the abuse came from; with `at`.
    #[serde(default)]
    pub ip: Option<String>,
    /// When the abuse happened (RFC 3339).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The account, when the report names one instead of an address.
    #[serde(default)]
    pub account_id: Option<String>,
    pub category: Category,
    /// What was seen: log lines, headers, a description. At most 20,000 characters.
    pub evidence: String,
    /// Where more is: ticket numbers, URLs, message ids. At most 20, each one line.
    #[serde(default)]
    pub references: Vec<String>,
    /// Domains the abuse used (a phishing site, a command-and-control host): the actor's
    /// infrastructure, shared with peers as indicators. At most 20.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Virtual-currency wallets the abuse used (a ransom's, a fraud's payee): `ADDRESS` or
    /// `CHAIN:ADDRESS` (bitcoin, ethereum and EVM chains, litecoin, tron, solana, xrp), shared
    /// with peers as indicators. At most 20.
    #[serde(default)]
    pub wallets: Vec<String>,
}

/// What a report came to: its id, and the cases it opened (one unmatched case when no account
/// used the address then).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reported {
    pub report_id: String,
    pub matched: bool,
    pub cases: Vec<AbuseCase>,
}

/// What the sealed evidence holds.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Evidence {
    pub(crate) report_id: String,
    reported_by: String,
    category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<String>,
    pub(crate) at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    evidence: String,
    references: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) domains: Vec<String>,
    /// `chain:address`, the address as its chain writes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) wallets: Vec<String>,
    /// The ledger's answer: the accounts that used the address in the window, with proofs.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<serde_json::Value>,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::invalid(field, why)
}

/// Checks a report's text fields; the evidence keeps its line breaks and tabs.
fn checked(r: &AbuseReport) -> Result<(String, Vec<String>)> {
    let evidence = r.evidence.trim();
    if evidence.is_empty() {
        return Err(invalid("evidence", "must say what was seen"));
    }
    if evidence.chars().count() > MAX_EVIDENCE
        || evidence
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(invalid(
            "evidence",
            "must be at most 20,000 characters without control characters",
        ));
    }
    if r.references.len() > 20 {
        return Err(invalid("references", "at most 20"));
    }
    let mut refs = vec![];
    for x in &r.references {
        let x = x.trim();
        if x.is_empty() || x.chars().count() > 500 || x.chars().any(char::is_control) {
            return Err(invalid(
                "references",
                "each is one line of at most 500 characters, not empty",
            ));
        }
        refs.push(x.to_owned());
    }
    Ok((evidence.to_owned(), refs))
}

/// A report's wallets, each checked and written as `chain:address` (the chain named, for an
/// EVM chain; else the chain its form tells), the address as the chain writes it, EVM hex in
/// lowercase), once each. A wallet that is none is refused as `wallets[i]`.
fn wallets(given: &[String]) -> Result<Vec<String>> {
    if given.len() > 20 {
        return Err(invalid("wallets", "at most 20"));
    }
    let mut out = vec![];
    for (i, w) in given.iter().enumerate() {
        let p = custos_ids::wallet::check(w).map_err(|e| {
            Error::invalid(
                format!("wallets[{i}]"),
                format!("is not a wallet address (`ADDRESS` or `CHAIN:ADDRESS`): {e}"),
            )
        })?;
        let found = p.details["chain"].as_str().unwrap_or_default().to_owned();
        let named = w
            .trim()
            .split_once(':')
            .map(|(c, _)| c.trim().to_ascii_lowercase());
        let address = p.normalized.unwrap_or_default();
        let (chain, address) = if found == "ethereum" {
            // EVM addresses compare in lowercase (mixed case is only a checksum); the chain is
            // the one named (`polygon`), as the form does not tell it.
            let chain = named
                .filter(|n| !matches!(n.as_str(), "eth" | "ethereum"))
                .unwrap_or(found);
            (chain, address.to_ascii_lowercase())
        } else {
            (found, address)
        };
        let w = format!("{chain}:{address}");
        if !out.contains(&w) {
            out.push(w);
        }
    }
    Ok(out)
}

impl App {
    /// Records an abuse report: traces it through the ledger (or to the account it names),
    /// seals the report and the trace, and opens a case on each account found, or one
    /// unmatched case. Audited.
    pub async fn report_abuse(&self, caller: &Caller, r: AbuseReport) -> Result<Reported> {
        self.report_abuse_with_id(caller, None, r).await
    }

    /// [`App::report_abuse`], the first case with an id the caller chose (the demo's).
    pub async fn report_abuse_with_id(
        &self,
        caller: &Caller,
        first_case: Option<String>,
        r: AbuseReport,
    ) -> Result<Reported> {
        caller.require(Permission::ReportAbuse)?;
        let actor = caller.actor();
        let (evidence, references) = checked(&r)?;
        if r.domains.len() > 20 {
            return Err(invalid("domains", "at most 20"));
        }
        let mut domains = vec![];
        for d in &r.domains {
            let d = custos_ids::email::domain_ascii(d.trim().trim_end_matches('.'))
                .ok()
                .filter(|d| d.contains('.'))
                .ok_or_else(|| invalid("domains", "each is a domain name (example.com)"))?
                .to_ascii_lowercase();
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        let wallets = wallets(&r.wallets)?;
        let now = self.now();
        let report_id = new_id("abr_");
        let (at, matched, trace) = match (&r.ip, &r.account_id) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "account_id",
                    "give an address and a time, or an account, not both",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "ip",
                    "give the address and the time of the abuse, or the account",
                ));
            }
            (None, Some(acc)) => {
                let id = AccountId::parse(acc)
                    .map_err(|_| invalid("account_id", "is not an account id"))?;
                let a = match self.store.get_account(&id).await {
                    Ok(a) => a,
                    Err(custos_store::StoreError::NotFound(_)) => {
                        return Err(invalid("account_id", "no such account"));
                    }
                    Err(e) => return Err(e.into()),
                };
                (r.at.unwrap_or(now), vec![(a.id, a.customer_id)], None)
            }
            (Some(ip), None) => {
                let ip: IpAddr = ip
                    .trim()
                    .parse()
                    .map_err(|_| invalid("ip", "is not an IPv4 or IPv6 address"))?;
                let at =
                    r.at.ok_or_else(|| invalid("at", "say when the abuse happened"))?;
                if at > now + Duration::minutes(5) {
                    return Err(invalid("at", "is in the future"));
                }
                let w = Duration::minutes(i64::from(self.policy.detection.trace_minutes));
                let found = self
                    .network_accounts(
                        &actor,
                        &format!("abuse report {report_id}"),
                        &ip.to_string(),
                        Some(at - w),
                        Some(at + w),
                        Some(crate::ledger::ProofAt::Latest),
                    )
                    .await?;
                // The account nearest the time first.
                let mut uses = found.accounts.clone();
                uses.sort_by_key(|u| {
                    let d = |t: DateTime<Utc>| (t - at).num_seconds().abs();
                    d(u.first_seen).min(d(u.last_seen))
                });
                let mut matched = vec![];
                for u in uses.iter().take(MAX_MATCHES) {
                    let Ok(id) = AccountId::parse(&u.account_id) else {
                        continue;
                    };
                    // Events outlive an account's records: a use by an account no longer
                    // known stays in the trace, with no case.
                    if let Ok(a) = self.store.get_account(&id).await {
                        matched.push((a.id, a.customer_id));
                    }
                }
                let trace = serde_json::to_value(&found)
                    .map_err(|e| Error::Internal(format!("an abuse trace: {e}")))?;
                (at, matched, Some(trace))
            }
        };
        let sealed = Evidence {
            report_id: report_id.clone(),
            reported_by: actor.id.clone(),
            category: r.category,
            ip: r.ip.as_ref().map(|i| i.trim().to_owned()),
            at,
            account_id: r.account_id.clone(),
            evidence,
            references,
            domains,
            wallets,
            trace,
        };
        let body = serde_json::to_vec(&sealed)
            .map_err(|e| Error::Internal(format!("an abuse report's evidence: {e}")))?;
        let meta = self
            .store
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: report_id.clone(),
                    kind: EVIDENCE_KIND.into(),
                    version: 0,
                    uploaded_at: now,
                    uploaded_by: actor.id.clone(),
                    file_name: "report.json".into(),
                    media_type: "application/json".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
                    size: body.len() as u64,
                },
                &body,
            )
            .await?;
        let due = now + Duration::hours(i64::from(self.policy.detection.case_hours));
        let new_case = |account: Option<(AccountId, CustomerId)>| {
            let (account_id, customer_id) = account.unzip();
            AbuseCase {
                id: new_id("abc_"),
                kind: CaseKind::Report,
                state: CaseState::Open,
                category: r.category,
                report_id: report_id.clone(),
                account_id,
                customer_id,
                occurred_at: at,
                opened_at: now,
                due_at: due,
                handled_at: None,
                closed_at: None,
                reported_by: actor.id.clone(),
                suspended: false,
                actions: vec![],
                evidence_id: Some(meta.id.clone()),
                linked_to: None,
            }
        };
        let found = !matched.is_empty();
        let mut cases: Vec<AbuseCase> = if found {
            matched.into_iter().map(|m| new_case(Some(m))).collect()
        } else {
            vec![new_case(None)]
        };
        if let (Some(id), Some(first)) = (first_case, cases.first_mut()) {
            first.id = id;
        }
        for c in &cases {
            self.save_case(c, None).await?;
        }
        self.audit(&actor, None, "report_abuse", &report_id).await?;
        Ok(Reported {
            report_id,
            matched: found,
            cases,
        })
    }

    /// Keeps a case, with its webhook events: opened (no `action`), or the action taken.
    pub(crate) async fn save_case(&self, c: &AbuseCase, action: Option<Action>) -> Result<()> {
        let record = ComplianceRecord {
            id: c.id.clone(),
            kind: CASE_KIND.into(),
            subject: c
                .account_id
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .or_else(|| c.customer_id.as_ref().map(|x| x.as_str().to_owned())),
            created_at: c.opened_at,
            due_at: (c.handled_at.is_none() && c.state == CaseState::Open).then_some(c.due_at),
            closed_at: c.closed_at,
            body: serde_json::to_value(c)
                .map_err(|e| Error::Internal(format!("an abuse case: {e}")))?,
        };
        let events = crate::webhooks::abuse_case_changes(c, action, self.now());
        Ok(self.store.put_compliance_record(&record, &events).await?)
    }

    /// Every abuse case, optionally in one state, newest first.
    pub async fn abuse_cases(&self, state: Option<CaseState>) -> Result<Vec<AbuseCase>> {
        let mut out: Vec<AbuseCase> = self
            .store
            .compliance_records(CASE_KIND, None)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value::<AbuseCase>(r.body)
                    .map_err(|e| Error::Internal(format!("a stored abuse case: {e}")))
            })
            .collect::<Result<_>>()?;
        out.retain(|c| state.is_none_or(|s| c.state == s));
        out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    pub async fn abuse_case(&self, id: &str) -> Result<AbuseCase> {
        let r = match self.store.compliance_record(id).await {
            Ok(r) if r.kind == CASE_KIND => r,
            Ok(_) | Err(custos_store::StoreError::NotFound(_)) => {
                return Err(Error::NotFound(format!("abuse case {id}")));
            }
            Err(e) => return Err(e.into()),
        };
        serde_json::from_value(r.body)
            .map_err(|e| Error::Internal(format!("a stored abuse case: {e}")))
    }

    /// A case's sealed evidence: the report and the ledger's trace (none for a red-flag
    /// case), and the notes given with its actions. Personal data: read with a purpose,
    /// audited first.
    pub async fn abuse_evidence(
        &self,
        actor: &Actor,
        purpose: &str,
        id: &str,
    ) -> Result<serde_json::Value> {
        let purpose = custos_core::text::free_text("purpose", purpose)?;
        let c = self.abuse_case(id).await?;
        self.audit(actor, Some(&purpose), "read_abuse_evidence", id)
            .await?;
        let mut out = match &c.evidence_id {
            Some(doc) => {
                let (_, body) = self.store.document(doc).await?;
                serde_json::from_slice(&body).map_err(|e| {
                    Error::Internal(format!("a stored abuse report's evidence: {e}"))
                })?
            }
            None => serde_json::json!({}),
        };
        let mut notes = vec![];
        for t in &c.actions {
            if let Some(n) = &t.note_id {
                let (_, body) = self.store.document(n).await?;
                notes.push(
                    serde_json::json!({"action": t.action, "by": t.by, "at": t.at,
                    "note": String::from_utf8_lossy(&body)}),
                );
            }
        }
        out["notes"] = serde_json::Value::Array(notes);
        Ok(out)
    }

    /// Takes an action on a case. Closing for abuse, by a person, waits for a second one; so
    /// does clearing red flags that reach `refuse` (a banned identifier come back, say).
    pub async fn act_on_abuse_case(
        &self,
        caller: &Caller,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> Result<Decided<AbuseCase>> {
        caller.require(Permission::Review)?;
        if action == Action::Share {
            return Err(invalid(
                "action",
                "`share` names a collection and a TLP level: POST /v1/abuse-cases/{id}/share",
            ));
        }
        let actor = caller.actor();
        let note = note
            .as_deref()
            .map(|n| custos_core::text::free_text("note", n))
            .transpose()?;
        let c = self.abuse_case(id).await?;
        c.check(action)?;
        let Some(customer) = c.customer_id.clone() else {
            return Ok(Decided::Done(
                self.apply_abuse_action(&actor, id, action, note).await?,
            ));
        };
        let refusing = action == Action::Clear
            && self
                .store
                .load_summary(&customer)
                .await?
                .value
                .detection
                .is_some_and(|d| {
                    self.detector.outcome(d.score) == custos_core::detection::Outcome::Refuse
                });
        let kind = match action {
            Action::CloseForAbuse => Some("close_for_abuse"),
            Action::Clear if refusing => Some("clear_red_flags"),
            _ => None,
        };
        if let Some(kind) = kind
            && crate::approvals::by_a_person(&actor.role)
        {
            let Some(reason) = note else {
                return Err(invalid("note", "say why: the second person decides on it"));
            };
            let body = serde_json::json!({"reason": reason});
            return Ok(Decided::Waiting(Box::new(
                self.ask(&actor, kind, &customer, id, body).await?,
            )));
        }
        Ok(Decided::Done(
            self.apply_abuse_action(&actor, id, action, note).await?,
        ))
    }

    /// What an approval of `close_for_abuse` (or any action) checks has not changed.
    pub(crate) async fn abuse_standing(&self, id: &str) -> Result<String> {
        let c = self.abuse_case(id).await?;
        Ok(format!("{:?}/{}/{}", c.state, c.suspended, c.actions.len()))
    }

    /// Seals a note given with an action on case `id`; the document's id.
    async fn seal_note(&self, actor: &Actor, id: &str, note: &str) -> Result<String> {
        let body = note.as_bytes();
        let meta = self
            .store
            .add_document(
                &DocumentMeta {
                    id: String::new(),
                    owner: id.to_owned(),
                    kind: NOTE_KIND.into(),
                    version: 0,
                    uploaded_at: self.now(),
                    uploaded_by: actor.id.clone(),
                    file_name: "note.txt".into(),
                    media_type: "text/plain".into(),
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)),
                    size: body.len() as u64,
                },
                body,
            )
            .await?;
        Ok(meta.id)
    }

    /// Applies an action to a case, in `actor`'s name.
    pub(crate) async fn apply_abuse_action(
        &self,
        actor: &Actor,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> Result<AbuseCase> {
        let _once = self.once.lock().await;
        let mut c = self.abuse_case(id).await?;
        c.check(action)?;
        let account = c.account_id.clone();
        match (action, &account) {
            (Action::Suspend, Some(a)) => self.hold_account(a, id, true).await?,
            (Action::Lift, Some(a)) => self.hold_account(a, id, false).await?,
            (Action::Dismiss, Some(a)) if c.suspended => self.hold_account(a, id, false).await?,
            (Action::CloseForAbuse, Some(a)) => {
                let why = format!("closed for abuse (case {id})");
                match self.close_account_for_abuse(a, &why).await {
                    Ok(_) => {}
                    // Closed meanwhile (on request, by its reseller): the customer is still
                    // marked.
                    Err(Error::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
                if c.suspended {
                    self.hold_account(a, id, false).await?;
                }
                if let Some(customer) = &c.customer_id {
                    self.store
                        .mark_abuse_closure(customer, id, self.now())
                        .await?;
                    // Its other open accounts are suspended on the case: they are a person's
                    // to close.
                    for other in self.store.accounts_of(customer).await? {
                        if other.id != *a && other.closed_at.is_none() {
                            self.hold_account(&other.id, id, true).await?;
                        }
                    }
                    self.open_group_cases(customer, c.category, id, c.evidence_id.clone())
                        .await?;
                }
            }
            _ => {}
        }
        match (action, &c.customer_id) {
            (Action::Preserve, Some(customer)) => {
                let holds = self.store.holds(customer).await?;
                let now = self.now();
                if holds
                    .iter()
                    .any(|h| h.in_force(now) && h.reference.as_deref() == Some(id))
                {
                    return Err(Error::Conflict(format!(
                        "abuse case {id}: the customer's records are preserved on it already"
                    )));
                }
                self.place_hold(
                    customer,
                    format!("abuse case {id} ({:?})", c.category).to_lowercase(),
                    Some(id.to_owned()),
                    actor,
                )
                .await?;
            }
            (Action::Clear, Some(customer)) => {
                let Some(reason) = note.clone() else {
                    return Err(invalid("note", "say why the red flags are harmless"));
                };
                let (by, at) = (actor.id.clone(), self.now());
                self.mutate(customer, |cu, _, _| {
                    if let Some(d) = cu.detection.as_mut() {
                        d.cleared = Some(custos_core::detection::Cleared {
                            by: by.clone(),
                            at,
                            score: d.score,
                            rules: d.fired.iter().map(|f| f.rule.clone()).collect(),
                            reason: reason.clone(),
                        });
                    }
                    Ok(())
                })
                .await?;
            }
            _ => {}
        }
        let note_id = match &note {
            Some(n) => Some(self.seal_note(actor, id, n).await?),
            None => None,
        };
        c.take(action, &actor.id, self.now(), note_id);
        self.save_case(&c, Some(action)).await?;
        self.audit(actor, None, &format!("abuse_{}", action.as_str()), id)
            .await?;
        Ok(c)
    }

    /// Suspends an account on abuse case `case` (or lifts that case's suspension: another
    /// case's stays), and decides its customer's accounts again. An account closed meanwhile
    /// only loses the case.
    async fn hold_account(&self, id: &AccountId, case: &str, hold: bool) -> Result<()> {
        let now = self.now();
        let a = self.store.get_account(id).await?;
        let summary = self.store.load_summary(&a.customer_id).await?.value;
        let before = self.store.accounts_of(&a.customer_id).await?;
        let mut accounts = before.clone();
        for x in accounts.iter_mut().filter(|x| x.id == *id) {
            x.abuse_holds.retain(|h| h != case);
            if hold {
                x.abuse_holds.push(case.to_owned());
            }
        }
        let mut changed = if a.closed_at.is_some() {
            vec![]
        } else {
            self.reevaluate(&summary, accounts.clone(), now).await?
        };
        match changed.iter_mut().find(|x| x.id == *id) {
            Some(x) => {
                x.abuse_holds = accounts
                    .iter()
                    .find(|y| y.id == *id)
                    .map(|y| y.abuse_holds.clone())
                    .unwrap_or_default();
            }
            None => {
                if let Some(x) = accounts.iter().find(|x| x.id == *id) {
                    changed.push(x.clone());
                }
            }
        }
        let after = crate::webhooks::merged(&before, &changed);
        let events =
            crate::webhooks::accounts_changes(&self.policy, &summary, &before, &after, now);
        self.store.update_accounts(&changed, &events).await?;
        self.cascade(&changed, now).await
    }

    /// Opens a review case on every other customer of `origin`'s linked group (one closed for
    /// abuse, or confirmed on a list), unless one is open for it from the same origin.
    pub(crate) async fn open_group_cases(
        &self,
        origin: &CustomerId,
        category: Category,
        origin_case: &str,
        evidence_id: Option<String>,
    ) -> Result<usize> {
        let group = self.link_group(origin).await?;
        let now = self.now();
        let due = now + Duration::hours(i64::from(self.policy.detection.case_hours));
        let mut opened = 0;
        for m in &group.members {
            // An address links loosely (an office's NAT, a small VPN): a customer reached
            // through addresses alone gets a case only when it is one link away.
            let by_value = group
                .links
                .iter()
                .any(|l| (l.a == m.customer_id || l.b == m.customer_id) && l.kind != "ip");
            if m.hops > 1 && !by_value {
                continue;
            }
            let open = self
                .store
                .compliance_records(CASE_KIND, Some(m.customer_id.as_str()))
                .await?;
            if open.iter().any(|r| {
                r.closed_at.is_none()
                    && r.body.get("report_id").and_then(|v| v.as_str()) == Some(origin_case)
            }) {
                continue;
            }
            let how: Vec<&str> = group
                .links
                .iter()
                .filter(|l| l.a == m.customer_id || l.b == m.customer_id)
                .map(|l| l.kind.as_str())
                .collect();
            self.save_case(
                &AbuseCase {
                    id: new_id("abc_"),
                    kind: CaseKind::Linked,
                    state: CaseState::Open,
                    category,
                    report_id: origin_case.to_owned(),
                    account_id: None,
                    customer_id: Some(m.customer_id.clone()),
                    occurred_at: now,
                    opened_at: now,
                    due_at: due,
                    handled_at: None,
                    closed_at: None,
                    reported_by: "custos".into(),
                    suspended: false,
                    actions: vec![],
                    evidence_id: evidence_id.clone(),
                    linked_to: Some(format!(
                        "{origin} ({} link(s) away, through {})",
                        m.hops,
                        if how.is_empty() {
                            "others".to_owned()
                        } else {
                            how.join(", ")
                        }
                    )),
                },
                None,
            )
            .await?;
            opened += 1;
        }
        Ok(opened)
    }

    /// [`App::red_flag_case`] after a customer's write has committed: a failure to open the
    /// case does not undo the write (nor fail it); it is logged, and the next change of the
    /// customer tries again.
    pub(crate) async fn red_flag_case_after(
        &self,
        summary: &custos_core::customer::CustomerSummary,
    ) {
        if let Err(e) = self.red_flag_case(summary).await {
            tracing::warn!(customer = %summary.id, error = %e, "a red-flag case could not be opened");
        }
    }

    /// Opens a red-flag case on a customer whose flags reach `review` and were not cleared,
    /// unless one is open.
    pub(crate) async fn red_flag_case(
        &self,
        summary: &custos_core::customer::CustomerSummary,
    ) -> Result<()> {
        let Some(d) = &summary.detection else {
            return Ok(());
        };
        let cleared = d.cleared.as_ref().is_some_and(|c| {
            d.score <= c.score
                && d.fired
                    .iter()
                    .all(|f| c.rules.is_empty() || c.rules.contains(&f.rule))
        });
        if self.detector.outcome(d.score) == custos_core::detection::Outcome::Approve || cleared {
            return Ok(());
        }
        let open = self
            .store
            .compliance_records(CASE_KIND, Some(summary.id.as_str()))
            .await?;
        if open.iter().any(|r| {
            r.closed_at.is_none()
                && r.body.get("kind").and_then(|v| v.as_str()) == Some("red_flags")
        }) {
            return Ok(());
        }
        let now = self.now();
        self.save_case(
            &AbuseCase {
                id: new_id("abc_"),
                kind: CaseKind::RedFlags,
                state: CaseState::Open,
                category: Category::Fraud,
                report_id: "detection".into(),
                account_id: None,
                customer_id: Some(summary.id.clone()),
                occurred_at: d.at,
                opened_at: now,
                due_at: now + Duration::hours(i64::from(self.policy.detection.case_hours)),
                handled_at: None,
                closed_at: None,
                reported_by: "custos".into(),
                suspended: false,
                actions: vec![],
                evidence_id: None,
                linked_to: None,
            },
            None,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::wallets;

    #[test]
    fn a_reports_wallets_are_checked_written_one_way_and_kept_once() {
        let w = wallets(&[
            "0x52908400098527886E0F7030069857D2E4169EE7".into(),
            "eth:0x52908400098527886e0f7030069857d2e4169ee7".into(),
            "polygon:0x52908400098527886E0F7030069857D2E4169EE7".into(),
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4".into(),
        ])
        .unwrap();
        assert_eq!(
            w,
            [
                "ethereum:0x52908400098527886e0f7030069857d2e4169ee7",
                "polygon:0x52908400098527886e0f7030069857d2e4169ee7",
                "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            ]
        );
        let bad = wallets(&[
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".into(),
            "btc:0x52908400098527886E0F7030069857D2E4169EE7".into(),
        ])
        .unwrap_err();
        assert!(
            matches!(&bad, crate::Error::Validation { field: Some(f), detail }
                if f == "wallets[1]" && detail.contains("of the ethereum chain, not btc")),
            "{bad:?}"
        );
        assert!(wallets(&vec!["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".to_owned(); 21]).is_err());
    }
}
