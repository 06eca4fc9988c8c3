//! Webhooks and the events feed: every change a control plane acts on becomes an event in the
//! outbox, written in the same transaction as the change; a dispatcher delivers each to the
//! endpoints an admin registered, signed in the Standard Webhooks format, at least once,
//! retrying with backoff for more than a day; every attempt is kept, and a delivery can be sent
//! again by hand. Consumers that prefer to pull read the feed. An event carries ids and
//! states, never personal data.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use custos_core::customer::CustomerSummary;
use custos_core::screening::CaseState;
use custos_core::verification::VerificationState;
use custos_core::{Account, CipPolicy};
use custos_screen::model::Designation;
use custos_store::crypto::SecretKey;
use custos_store::{
    DeliveryOutcome, OutboxEvent, StoredEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
};
use serde_json::json;

use crate::error::{Error, Result};
use crate::service::{Actor, App, new_id};

/// The event types, each a change a control plane acts on.
pub const EVENT_TYPES: &[&str] = &[
    ACCOUNT_DECISION_CHANGED,
    ACCOUNT_CLOSED,
    CUSTOMER_VERIFICATION_CHANGED,
    SCREENING_CASE_OPENED,
    SCREENING_CASE_RESOLVED,
    DESIGNATION_IN_FORCE,
    DESIGNATION_ENDED,
    ABUSE_CASE_OPENED,
    ABUSE_CASE_ACTION,
    ABUSE_CASE_CLOSED,
    INCIDENT_RECORDED,
    INCIDENT_REPORTED,
];
/// An account's decision or status changed (`data`: the account and customer ids, the
/// decision and status now and before).
pub const ACCOUNT_DECISION_CHANGED: &str = "account.decision_changed";
/// An account was closed (on request, by a decision, with its reseller account).
pub const ACCOUNT_CLOSED: &str = "account.closed";
/// A customer's verification state as a whole changed.
pub const CUSTOMER_VERIFICATION_CHANGED: &str = "customer.verification_changed";
/// Screening opened a case against a list entry.
pub const SCREENING_CASE_OPENED: &str = "screening.case_opened";
/// A case left `open` (confirmed, a false positive, cleared).
pub const SCREENING_CASE_RESOLVED: &str = "screening.case_resolved";
/// A special-measure designation took effect (applied by the sweep).
pub const DESIGNATION_IN_FORCE: &str = "designation.in_force";
/// A designation ended.
pub const DESIGNATION_ENDED: &str = "designation.ended";

/// An abuse case opened: on an abuse report (matched or not), on a customer linked to one
/// closed for abuse, or on red flags.
pub const ABUSE_CASE_OPENED: &str = "abuse.case_opened";
/// An action was taken on an abuse case (suspend, lift, preserve, close for abuse, dismiss,
/// clear).
pub const ABUSE_CASE_ACTION: &str = "abuse.case_action";
/// An abuse case closed (dismissed, cleared, or closed for abuse).
pub const ABUSE_CASE_CLOSED: &str = "abuse.case_closed";

/// A cyber incident was recorded (its report due, when covered).
pub const INCIDENT_RECORDED: &str = "incident.recorded";
/// An incident was reported to the agencies (its clock stopped).
pub const INCIDENT_REPORTED: &str = "incident.reported";

/// The event of an incident recorded or reported: the workflow only, never the report.
pub fn incident_change(
    kind: &'static str,
    i: &crate::sharing::incident::Incident,
    at: DateTime<Utc>,
) -> OutboxEvent {
    event(
        kind,
        at,
        json!({"incident_id": i.id, "activity": name(&i.activity), "severity": name(&i.severity),
            "covered": i.covered, "detected_at": i.detected_at, "due_at": i.due_at,
            "reported_at": i.reported_at, "reported_to": i.reported_to}),
    )
}

/// The events of an abuse case saved: opened (no `action`), or an action taken on it, and
/// closed when that action closed it.
pub fn abuse_case_changes(
    c: &custos_core::abuse::AbuseCase,
    action: Option<custos_core::abuse::Action>,
    at: DateTime<Utc>,
) -> Vec<OutboxEvent> {
    let data = json!({"case_id": c.id, "kind": name(&c.kind), "category": name(&c.category),
        "account_id": c.account_id, "customer_id": c.customer_id, "report_id": c.report_id,
        "state": name(&c.state), "suspended": c.suspended, "due_at": c.due_at,
        "action": action.map(|a| name(&a))});
    let Some(_) = action else {
        return vec![event(ABUSE_CASE_OPENED, at, data)];
    };
    let mut out = vec![event(ABUSE_CASE_ACTION, at, data.clone())];
    if c.state == custos_core::abuse::CaseState::Closed {
        out.push(event(ABUSE_CASE_CLOSED, at, data));
    }
    out
}

/// The wait before each retry after a failed attempt: the Standard Webhooks schedule, over
/// 27 hours in all; after the last, the delivery has failed (and can be sent again by hand).
pub const RETRY_SCHEDULE: &[i64] = &[5, 300, 1800, 7200, 18000, 36000, 36000];

/// How long a dispatcher holds the deliveries it took: longer than an attempt may take.
const LEASE_SECONDS: i64 = 120;

/// Attempts made at once.
pub const PARALLEL: usize = 16;

/// Counts an attempt that ran, logging one that could not be recorded.
fn joined(r: Option<std::result::Result<Result<()>, tokio::task::JoinError>>) -> usize {
    match r {
        Some(Ok(Ok(()))) => 1,
        Some(Ok(Err(e))) => {
            tracing::warn!(error = %e, "a webhook attempt could not be recorded");
            0
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "a webhook attempt failed");
            0
        }
        None => 0,
    }
}

/// How long a receiver has to answer an attempt.
pub const ATTEMPT_TIMEOUT: StdDuration = StdDuration::from_secs(15);

fn event(kind: &str, at: DateTime<Utc>, data: serde_json::Value) -> OutboxEvent {
    OutboxEvent {
        id: new_id("evt_"),
        kind: kind.to_owned(),
        at,
        data,
    }
}

fn name<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// The events of accounts changing from `old` to `new` (accounts in `new` only are not
/// changes, and make none).
pub fn account_changes(old: &[Account], new: &[Account], at: DateTime<Utc>) -> Vec<OutboxEvent> {
    let before: HashMap<_, _> = old.iter().map(|a| (&a.id, a)).collect();
    let mut out = vec![];
    for a in new {
        let Some(b) = before.get(&a.id) else {
            continue;
        };
        let (d, s) = (a.decision.decision, a.decision.account_status);
        let (pd, ps) = (b.decision.decision, b.decision.account_status);
        if (d, s) != (pd, ps) {
            out.push(event(
                ACCOUNT_DECISION_CHANGED,
                at,
                json!({"account_id": a.id, "customer_id": a.customer_id,
                       "decision": name(&d), "account_status": name(&s),
                       "previous_decision": name(&pd), "previous_account_status": name(&ps)}),
            ));
        }
        if a.closed_at.is_some() && b.closed_at.is_none() {
            out.push(event(
                ACCOUNT_CLOSED,
                at,
                json!({"account_id": a.id, "customer_id": a.customer_id,
                       "closed_at": a.closed_at}),
            ));
        }
    }
    out
}

fn state_of(policy: &CipPolicy, s: &CustomerSummary, accounts: &[Account]) -> VerificationState {
    let (_, subjects) = custos_core::status::subjects(policy, s, accounts);
    custos_core::status::customer_state(&subjects)
}

/// The events of a customer's accounts changing (`old` and `new` are all its accounts, before
/// and after): each account's, and the customer's verification state, which its accounts' risk
/// bears on.
pub fn accounts_changes(
    policy: &CipPolicy,
    summary: &CustomerSummary,
    old: &[Account],
    new: &[Account],
    at: DateTime<Utc>,
) -> Vec<OutboxEvent> {
    let mut out = account_changes(old, new, at);
    let (was, is) = (
        state_of(policy, summary, old),
        state_of(policy, summary, new),
    );
    if was != is {
        out.push(event(
            CUSTOMER_VERIFICATION_CHANGED,
            at,
            json!({"customer_id": summary.id, "verification_state": name(&is),
                   "previous_verification_state": name(&was)}),
        ));
    }
    out
}

/// `accounts` with `changed` in place of those of the same id, and any other of `changed`
/// added.
pub fn merged(accounts: &[Account], changed: &[Account]) -> Vec<Account> {
    let mut out: Vec<Account> = accounts
        .iter()
        .map(|a| changed.iter().find(|x| x.id == a.id).unwrap_or(a).clone())
        .collect();
    for c in changed {
        if !out.iter().any(|a| a.id == c.id) {
            out.push(c.clone());
        }
    }
    out
}

/// The events of a customer changing: its verification state as a whole, its screening cases
/// and its accounts.
pub fn customer_changes(
    policy: &CipPolicy,
    (old, old_accounts): (&CustomerSummary, &[Account]),
    (new, new_accounts): (&CustomerSummary, &[Account]),
    at: DateTime<Utc>,
) -> Vec<OutboxEvent> {
    let mut out = vec![];
    let (was, is) = (
        state_of(policy, old, old_accounts),
        state_of(policy, new, new_accounts),
    );
    if was != is {
        out.push(event(
            CUSTOMER_VERIFICATION_CHANGED,
            at,
            json!({"customer_id": new.id, "verification_state": name(&is),
                   "previous_verification_state": name(&was)}),
        ));
    }
    let cases: HashMap<&str, CaseState> = old
        .screening
        .iter()
        .map(|c| (c.id.as_str(), c.state))
        .collect();
    for c in &new.screening {
        let before = cases.get(c.id.as_str()).copied();
        if before == Some(c.state) {
            continue;
        }
        let data = json!({"case_id": c.id, "customer_id": new.id, "subject_id": c.subject_id,
                          "list": c.list, "entity_id": c.entity_id, "state": name(&c.state),
                          "previous_state": before.map(|b| name(&b))});
        // A new case (open, or confirmed at once), or one open again, is opened; any other
        // change of state (a resolution, a reversal) resolves it anew.
        let kind = if before.is_none() || c.state == CaseState::Open {
            SCREENING_CASE_OPENED
        } else {
            SCREENING_CASE_RESOLVED
        };
        out.push(event(kind, at, data));
    }
    out.extend(account_changes(old_accounts, new_accounts, at));
    out
}

/// The events of a new customer: the screening cases opened with it.
pub fn opened_cases(new: &CustomerSummary, at: DateTime<Utc>) -> Vec<OutboxEvent> {
    let none = CustomerSummary {
        screening: vec![],
        ..new.clone()
    };
    customer_changes(&CipPolicy::default(), (&none, &[]), (new, &[]), at)
        .into_iter()
        .filter(|e| e.kind == SCREENING_CASE_OPENED)
        .collect()
}

/// The events of the sweep's designation transitions.
pub fn designation_changes(
    transitions: &[crate::designations::ScheduleEvent],
    at: DateTime<Utc>,
) -> Vec<OutboxEvent> {
    transitions
        .iter()
        .map(|t| {
            let kind = if t.event == "ends" {
                DESIGNATION_ENDED
            } else {
                DESIGNATION_IN_FORCE
            };
            event(
                kind,
                at,
                json!({"designation_id": t.designation_id, "list": t.list, "date": t.date,
                       "reference": t.reference}),
            )
        })
        .collect()
}

/// The events of what changed in the set of designations in force between two sweeps:
/// `designation.in_force` for each that came in (dated its effective day when that came since
/// the sweep before, `since`; else the sweep's, as for one entered late or extended after it
/// ended), and `designation.ended` for each that went out (dated its end, or the sweep's day
/// when it has none, e.g. withdrawn). `all` is every designation now known, with its list.
pub fn designation_set_changes(
    all: &[(String, Designation)],
    before: &[(String, String, String)],
    now_in_force: &[(String, String, String)],
    since: Option<chrono::NaiveDate>,
    at: DateTime<Utc>,
) -> Vec<OutboxEvent> {
    let known = |list: &str, id: &str| all.iter().find(|(l, d)| l == list && d.id == id);
    let mut out = vec![];
    for (list, id, reference) in now_in_force {
        if !before.iter().any(|(l, i, _)| l == list && i == id) {
            let date = known(list, id)
                .map(|(_, d)| d.effective)
                .filter(|e| since.is_none_or(|s| *e > s))
                .unwrap_or_else(|| at.date_naive());
            out.push(event(
                DESIGNATION_IN_FORCE,
                at,
                json!({"designation_id": id, "list": list, "date": date,
                       "reference": reference}),
            ));
        }
    }
    for (list, id, reference) in before {
        if !now_in_force.iter().any(|(l, i, _)| l == list && i == id) {
            let date = known(list, id)
                .and_then(|(_, d)| d.ends())
                .filter(|e| *e <= at.date_naive())
                .unwrap_or_else(|| at.date_naive());
            out.push(event(
                DESIGNATION_ENDED,
                at,
                json!({"designation_id": id, "list": list, "date": date,
                       "reference": reference}),
            ));
        }
    }
    out
}

/// A new endpoint, with its secret (shown once).
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 of the key: what the receiver verifies signatures with.
    pub secret: String,
}

fn whsec(key: &SecretKey) -> String {
    use base64::Engine;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key.expose())
    )
}

/// Checks an endpoint's URL: an absolute `https` (or `http`) URL with a host, no user name
/// or password, no fragment.
pub fn check_url(url: &str) -> Result<reqwest::Url> {
    let bad = |why: &str| Error::invalid("url", why);
    if url.len() > 2048 {
        return Err(bad("is longer than 2048 characters"));
    }
    if url.trim() != url || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("must not hold spaces or control characters"));
    }
    let u = reqwest::Url::parse(url).map_err(|_| bad("is not an absolute URL"))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(bad("must be https (or http)"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not hold a user name or password"));
    }
    if u.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    Ok(u)
}

/// Signs a delivery's body in the Standard Webhooks format: `webhook-signature`.
pub fn sign(secret: &SecretKey, id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    standardwebhooks::Webhook::from_bytes(secret.expose().to_vec())
        .and_then(|w| w.sign(id, timestamp, body))
        .map_err(|e| Error::Internal(format!("signing a webhook: {e}")))
}

/// The body of a delivery (and of the feed's items): `type`, `timestamp`, `data`, as the
/// Standard Webhooks format suggests, with the event's `id`.
pub fn payload(e: &StoredEvent) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": e.event.id, "type": e.event.kind,
        "timestamp": e.event.at, "data": e.event.data}))
    .unwrap_or_default()
}

impl App {
    /// Registers an endpoint for some event types (`*`: all), with a new signing secret.
    pub async fn add_webhook_endpoint(
        &self,
        actor: &Actor,
        url: &str,
        event_types: Vec<String>,
    ) -> Result<NewEndpoint> {
        let url = check_url(url)?.to_string();
        if event_types.is_empty() {
            return Err(Error::invalid(
                "event_types",
                "must name at least one type, or `*`",
            ));
        }
        if let Some(t) = event_types
            .iter()
            .find(|t| *t != "*" && !EVENT_TYPES.contains(&t.as_str()))
        {
            let _ = t;
            return Err(Error::invalid(
                "event_types",
                format!(
                    "holds an unknown type; the types are `*`, {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        let mut types = event_types;
        types.sort();
        types.dedup();
        if types.iter().any(|t| t == "*") {
            types = vec!["*".to_owned()];
        }
        let endpoint = WebhookEndpoint {
            id: new_id("we_"),
            url,
            event_types: types,
            created_at: self.now(),
            created_by: actor.id.clone(),
            deleted_at: None,
            since_seq: 0,
        };
        let key = SecretKey::generate();
        self.store().add_webhook_endpoint(&endpoint, &key).await?;
        self.audit(actor, None, "create_webhook_endpoint", &endpoint.id)
            .await?;
        Ok(NewEndpoint {
            endpoint,
            secret: whsec(&key),
        })
    }

    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        Ok(self.store().webhook_endpoints().await?)
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint> {
        Ok(self.store().webhook_endpoint(id).await?)
    }

    pub async fn delete_webhook_endpoint(&self, actor: &Actor, id: &str) -> Result<()> {
        self.store().delete_webhook_endpoint(id, self.now()).await?;
        self.audit(actor, None, "delete_webhook_endpoint", id).await
    }

    /// An endpoint's deliveries, in event order, a page at a time.
    pub async fn webhook_deliveries(
        &self,
        endpoint: &str,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<crate::browse::Page<WebhookDelivery>> {
        self.store().webhook_endpoint(endpoint).await?;
        let list = crate::browse::List::WebhookDeliveries;
        let mut scan = crate::browse::Scan::new(list, limit, starting_after)?;
        loop {
            let batch = self
                .store()
                .webhook_deliveries(endpoint, scan.after(), scan.want())
                .await?;
            if let Some(p) = scan.take(batch, |d| d.id.clone(), |_| true) {
                return Ok(p);
            }
        }
    }

    /// A delivery of an endpoint's, with its attempts.
    pub async fn webhook_delivery(
        &self,
        endpoint: &str,
        id: &str,
    ) -> Result<(WebhookDelivery, Vec<WebhookAttempt>)> {
        let d = self.store().webhook_delivery(id).await?;
        if d.endpoint_id != endpoint {
            return Err(Error::NotFound(format!("webhook delivery {id}")));
        }
        let attempts = self.store().webhook_attempts(id).await?;
        Ok((d, attempts))
    }

    /// Sends a delivery again, now (whatever became of it before).
    pub async fn redeliver(
        &self,
        actor: &Actor,
        endpoint: &str,
        id: &str,
    ) -> Result<WebhookDelivery> {
        self.webhook_delivery(endpoint, id).await?;
        if self
            .store()
            .webhook_endpoint(endpoint)
            .await?
            .deleted_at
            .is_some()
        {
            return Err(Error::Conflict(format!(
                "webhook endpoint {endpoint} was deleted: nothing is delivered to it any more"
            )));
        }
        let d = self.store().redeliver(id, self.now()).await?;
        self.audit(actor, None, "redeliver_webhook", id).await?;
        Ok(d)
    }

    /// The events after `after` (a sequence number), in commit order.
    /// An `after` past the last event is refused: a consumer holding one (mistyped, or from
    /// another installation) would otherwise wait in silence for events it already missed.
    pub async fn events_feed(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        let events = self.store().events_after(after, limit).await?;
        // Nothing after it, and no event `after` itself: it is past the last.
        if events.is_empty()
            && after > 0
            && self.store().events_after(after - 1, 1).await?.is_empty()
        {
            return Err(crate::Error::invalid(
                "after",
                "is past the last event: start from 0, or from a `next_after` the feed gave",
            ));
        }
        Ok(events)
    }

    /// One round of the dispatcher: fans new events out, then makes every attempt that is
    /// due, [`PARALLEL`] at a time. A delivery that cannot be attempted (its secret unreadable,
    /// say) is logged and left to its lease; the others go on. Returns the attempts made.
    pub async fn dispatch(&self, client: &reqwest::Client) -> Result<usize> {
        while self.store().fan_out(500).await? > 0 {}
        let lease = self.now() + Duration::seconds(LEASE_SECONDS);
        let due = self.store().due_deliveries(self.now(), lease, 100).await?;
        let mut targets: HashMap<String, Option<(String, SecretKey)>> = HashMap::new();
        let mut tasks = tokio::task::JoinSet::new();
        let mut made = 0;
        for (d, e) in due {
            if !targets.contains_key(&d.endpoint_id) {
                let target = match self.target(&d.endpoint_id).await {
                    Ok(t) => Some(t),
                    Err(err) => {
                        tracing::error!(endpoint = %d.endpoint_id, error = %err,
                            "a webhook endpoint cannot be delivered to");
                        None
                    }
                };
                targets.insert(d.endpoint_id.clone(), target);
            }
            let Some((url, key)) = targets[&d.endpoint_id].clone() else {
                continue;
            };
            while tasks.len() >= PARALLEL {
                made += joined(tasks.join_next().await);
            }
            let (app, client) = (self.clone(), client.clone());
            tasks.spawn(async move { app.attempt(&client, &url, &key, &d, &e).await });
        }
        while let Some(r) = tasks.join_next().await {
            made += joined(Some(r));
        }
        Ok(made)
    }

    async fn target(&self, endpoint: &str) -> Result<(String, SecretKey)> {
        let ep = self.store().webhook_endpoint(endpoint).await?;
        let key = self.store().webhook_secret(endpoint).await?;
        Ok((ep.url, key))
    }

    async fn attempt(
        &self,
        client: &reqwest::Client,
        url: &str,
        key: &SecretKey,
        d: &WebhookDelivery,
        e: &StoredEvent,
    ) -> Result<()> {
        let body = payload(e);
        let at = self.now();
        let ts = Utc::now().timestamp();
        let signature = sign(key, &e.event.id, ts, &body)?;
        let started = std::time::Instant::now();
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", e.event.id.as_str())
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(i64::from(r.status().as_u16())), None),
            Ok(r) => (
                Some(i64::from(r.status().as_u16())),
                Some(format!("the receiver answered {}", r.status().as_u16())),
            ),
            Err(err) => (None, Some(transport_error(&err))),
        };
        let n = d.attempts + 1;
        let outcome = if error.is_none() {
            DeliveryOutcome::Delivered
        } else {
            match retry_after(d.attempts) {
                Some(wait) => DeliveryOutcome::Retry(at + wait),
                None => DeliveryOutcome::Failed,
            }
        };
        tracing::info!(delivery = %d.id, attempt = n, ?status, ok = error.is_none(), "webhook attempt");
        let attempt = WebhookAttempt {
            n,
            at,
            status,
            error,
            duration_ms,
        };
        Ok(self
            .store()
            .record_attempt(&d.id, &attempt, outcome)
            .await?)
    }
}

/// The wait before the next attempt after `made` failed attempts; none once the schedule is
/// spent. A delivery sent again by hand starts over from its count: it gets one attempt more
/// each time, then waits as the schedule says.
pub fn retry_after(made: i64) -> Option<Duration> {
    let i = usize::try_from(made).ok()?;
    RETRY_SCHEDULE.get(i).map(|s| Duration::seconds(*s))
}

/// Why a request did not reach its receiver, in a line without the URL (it may hold a
/// token).
fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else if e.is_connect() {
        "the receiver could not be reached".into()
    } else if e.is_redirect() {
        "the receiver redirected (redirects are not followed)".into()
    } else {
        "the request failed".into()
    }
}

/// The client deliveries are made with: a timeout, and no redirects (a delivery goes only
/// to the URL an admin registered).
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("custos-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("the webhook client: {e}")))
}

/// Runs the dispatcher until the process ends: a round every `every`.
pub fn spawn_dispatcher(app: App, every: StdDuration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "the webhook dispatcher cannot start");
                return;
            }
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Rounds overlap, up to ROUNDS at once: a round held up by a receiver that does not
        // answer does not hold up the next (each takes only deliveries nobody holds).
        let mut rounds = tokio::task::JoinSet::new();
        loop {
            tick.tick().await;
            while let Some(done) = rounds.try_join_next() {
                match done {
                    Ok(Err(e)) => tracing::warn!(error = %e, "a webhook dispatch round failed"),
                    Err(e) => tracing::error!(error = %e, "a webhook dispatch round failed"),
                    Ok(Ok(_)) => {}
                }
            }
            if rounds.len() < ROUNDS {
                let (app, client) = (app.clone(), client.clone());
                rounds.spawn(async move { app.dispatch(&client).await });
            }
        }
    })
}

/// Dispatch rounds running at once.
const ROUNDS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(cases: &[(&str, &str)]) -> CustomerSummary {
        let screening: Vec<serde_json::Value> = cases
            .iter()
            .map(|(id, state)| {
                json!({"id": id, "subject_id": "sub_1", "basis": "name", "list": "ofac-sdn",
                       "entity_id": "sdn-1", "measure": "prohibition", "score": 0.97,
                       "state": state, "opened_at": "2026-11-24T09:00:00Z",
                       "updated_at": "2026-11-24T09:00:00Z"})
            })
            .collect();
        serde_json::from_value(json!({"id": "cus_1", "entity": false,
            "created_at": "2026-11-24T09:00:00Z", "high_risk_link": false, "resubmissions": 0,
            "subjects": [{"id": "sub_1", "role": "customer", "qualifies": true, "removed": false,
                          "us_person": true, "basis": "citizen", "verification": {}}],
            "screening": screening}))
        .unwrap()
    }

    fn kinds(old: &[(&str, &str)], new: &[(&str, &str)]) -> Vec<String> {
        let (o, n) = (summary(old), summary(new));
        customer_changes(&CipPolicy::default(), (&o, &[]), (&n, &[]), Utc::now())
            .into_iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.kind,
                    e.data["state"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn every_change_of_a_case_is_told() {
        let opened = |s: &str| format!("{SCREENING_CASE_OPENED} {s}");
        let resolved = |s: &str| format!("{SCREENING_CASE_RESOLVED} {s}");
        assert_eq!(kinds(&[], &[("scr_1", "open")]), [opened("open")]);
        // Confirmed at once (an exact hit on a designation): opened all the same.
        assert_eq!(kinds(&[], &[("scr_1", "confirmed")]), [opened("confirmed")]);
        assert_eq!(
            kinds(&[("scr_1", "open")], &[("scr_1", "false_positive")]),
            [resolved("false_positive")]
        );
        // Reversals and clearing are told too; an open case again is opened again.
        assert_eq!(
            kinds(&[("scr_1", "false_positive")], &[("scr_1", "confirmed")]),
            [resolved("confirmed")]
        );
        assert_eq!(
            kinds(&[("scr_1", "confirmed")], &[("scr_1", "cleared")]),
            [resolved("cleared")]
        );
        assert_eq!(
            kinds(&[("scr_1", "cleared")], &[("scr_1", "open")]),
            [opened("open")]
        );
        assert!(kinds(&[("scr_1", "open")], &[("scr_1", "open")]).is_empty());
    }

    #[test]
    fn the_schedule_retries_for_more_than_a_day() {
        let total: i64 = RETRY_SCHEDULE.iter().sum();
        assert!(total > 24 * 3600, "{total}");
        assert_eq!(retry_after(0), Some(Duration::seconds(5)));
        assert_eq!(retry_after(RETRY_SCHEDULE.len() as i64), None);
    }

    #[test]
    fn only_plain_web_urls_are_taken() {
        for ok in [
            "https://hooks.example.com/custos",
            "http://127.0.0.1:8080/h?x=1",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "/relative",
            "https://example.com/#frag",
            "file:///etc/passwd",
            " https://example.com/",
            "https://example.com/\n",
            "https://exa mple.com/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
