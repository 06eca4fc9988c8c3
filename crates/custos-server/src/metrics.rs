//! Prometheus metrics. Labels are route templates, methods, status codes and decision kinds:
//! never ids, names or anything else about a customer.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::AppState;

#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pub decisions: IntCounterVec,
    /// Events appended to the access ledger, by whether custos knew the account.
    ledger: IntCounterVec,
    /// Connections accepted, and refused because the server had `max_connections` open.
    connections: IntCounterVec,
}

impl Metrics {
    #[expect(clippy::new_without_default, reason = "registration can fail; see new")]
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("custos".into()), None).unwrap_or_else(|_| Registry::new());
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            ),
            &["route", "method"],
        )
        .expect("static metric definition");
        let decisions = IntCounterVec::new(
            Opts::new("account_decisions_total", "Account-opening decisions"),
            &["decision"],
        )
        .expect("static metric definition");
        let ledger = IntCounterVec::new(
            Opts::new(
                "ledger_events_total",
                "Events appended to the access ledger, by whether the account is known",
            ),
            &["account"],
        )
        .expect("static metric definition");
        let connections = IntCounterVec::new(
            Opts::new(
                "http_connections_total",
                "TCP connections, by whether they were served or refused at the connection limit",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(decisions.clone()),
            Box::new(ledger.clone()),
            Box::new(connections.clone()),
        ] {
            let _ = registry.register(c);
        }
        Metrics {
            registry,
            requests,
            latency,
            decisions,
            ledger,
            connections,
        }
    }

    /// Counts a connection: served, or refused at the connection limit.
    pub fn connection(&self, served: bool) {
        self.connections
            .with_label_values(&[if served { "served" } else { "refused" }])
            .inc();
    }

    /// Counts appended events; `unknown` of the accounts in the batch were not known.
    pub fn ledger_events(&self, events: u64, unknown_accounts: u64) {
        self.ledger.with_label_values(&["all"]).inc_by(events);
        self.ledger
            .with_label_values(&["unknown_accounts"])
            .inc_by(unknown_accounts);
    }

    pub fn render(&self) -> String {
        let mut buf = vec![];
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Middleware: counts and times every request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .with_label_values(&[&route, &method])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[&route, &method, res.status().as_str()])
        .inc();
    res
}
