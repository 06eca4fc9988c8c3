//! Serving the router (HTTP/1.1) on a TCP listener with the limits a server facing the internet needs:
//! at most `max_connections` at once (one more is closed as soon as it is accepted), a
//! connection that sends nothing, or stays idle between requests, or stops sending a request's
//! body, is closed after `header_timeout`, and a shutdown lets the requests in flight finish (for `drain` at most).
//!
//! axum's own `serve` sets no timer on hyper, so a connection that never sends a byte is kept
//! for ever: twenty thousand of them exhausted the file limit and about 2 GB of memory.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::AppState;

/// What a server accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them: on a new connection, and between requests on a kept-alive
    /// one.
    pub header_timeout: Duration,
    /// How long the requests in flight may run after a shutdown was asked for.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(30),
            drain: Duration::from_secs(30),
        }
    }
}

/// Serves the API of `state` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let metrics = state.metrics.clone();
    // Webhooks go out from every server, at least once (several servers on one database
    // may each make an attempt).
    let dispatcher =
        custos_app::webhooks::spawn_dispatcher(state.service.clone(), Duration::from_secs(1));
    let app: Router = crate::router(state);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1 only: telling HTTP/2 from HTTP/1 reads the first bytes with no timer, so a
    // connection that sent one byte and stopped would hold its slot for ever.
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, say: the connections already open go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics.connection(false);
            drop(stream);
            continue;
        };
        metrics.connection(true);
        let _ = stream.set_nodelay(true);
        // A request body that stops arriving is cut after the same time as headers are.
        let svc = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
                    limits.header_timeout,
                ))
                // The peer's address, for the console's limits on failed sign-ins.
                .layer(axum::Extension(axum::extract::ConnectInfo(peer)))
                .service(app.clone()),
        );
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            // hyper's header timer starts when it first waits for a request's head: from the
            // accept on.
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    dispatcher.abort();
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain time were cut");
    }
    Ok(())
}
