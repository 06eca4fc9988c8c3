//! `custos serve` and `custos demo`: the server, with the work it does on its own (the
//! ledger's maintenance, ordered records packages, the compliance sweep, peers' collections
//! pulled and their indicators matched), until a signal stops it.

use std::io::Write;

use anyhow::{Context, Result};
use custos_app::Actor;
use custos_app::keys::Role;
use custos_server::AppState;

use crate::app::App;
use crate::config;

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub(crate) async fn serve(
    app: &App,
    listen: &str,
    sweep_every: u64,
    maintain_every: u64,
    limits: custos_server::serve::Limits,
    pulls: Vec<config::SharingPull>,
) -> Result<()> {
    // A pull whose secret is not in the environment would be refused every time: said now.
    for p in &pulls {
        if std::env::var(&p.secret_env).map_or(true, |v| v.trim().is_empty()) {
            anyhow::bail!(
                "sharing_pulls: ${} (the secret for {}collections/{}/) is not set",
                p.secret_env,
                p.from,
                p.collection
            );
        }
    }
    for p in pulls {
        // A peer's collection, taken in on its schedule; a failure is logged and tried again
        // at the next tick.
        let service = app.service.clone();
        tokio::spawn(async move {
            let caller = custos_app::keys::Caller {
                key_id: "system:sharing".into(),
                role: Role::Admin,
                scope: None,
            };
            let mut tick =
                tokio::time::interval(std::time::Duration::from_secs(p.every_secs.max(60)));
            loop {
                tick.tick().await;
                let creds = custos_app::sharing::pull::Credentials {
                    user: p.user.clone(),
                    secret: std::env::var(&p.secret_env).unwrap_or_default(),
                };
                match service
                    .pull_collection(&caller, &p.from, &p.collection, &creds)
                    .await
                {
                    Ok(r) => tracing::info!(
                        collection = %p.collection,
                        objects = r.objects,
                        added = r.added,
                        signals = r.signals.len(),
                        "pulled a peer's collection"
                    ),
                    Err(e) => {
                        tracing::warn!(collection = %p.collection, error = %e, "pulling a peer's collection failed")
                    }
                }
            }
        });
    }
    {
        // What other processes leave for the ledger's owner: their audit records, to be
        // copied into the ledger's audit log, and retention's ledger purges and key retiring.
        let service = app.service.clone();
        tokio::spawn(async move {
            let actor = Actor {
                id: "system:retention".into(),
                role: "admin".into(),
            };
            let mut tick =
                tokio::time::interval(std::time::Duration::from_secs(maintain_every.max(1)));
            loop {
                tick.tick().await;
                if let Err(e) = service.mirror_audit().await {
                    tracing::warn!(error = %e, "copying audit records into the ledger failed");
                }
                // Indicators peers' collections brought in (a command's pull, a peer's post).
                let sharing = Actor {
                    id: "system:sharing".into(),
                    role: "admin".into(),
                };
                match service.match_peer_indicators(&sharing).await {
                    Ok(c) if !c.is_empty() => {
                        tracing::info!(cases = c.len(), "peer signals matched")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "matching peers' indicators failed"),
                }
                match service.retention_work(&actor).await {
                    Ok(d) if d.accounts_purged > 0 || !d.keys_retired.is_empty() => {
                        tracing::info!(
                            accounts = d.accounts_purged,
                            events = d.ledger_events_purged,
                            keys_retired = d.keys_retired.len(),
                            "retention work done"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention work failed"),
                }
            }
        });
    }
    {
        // Records packages commands ordered while this server holds the ledger: written soon,
        // since a person waits for each.
        let service = app.service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                match service.package_work().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(packages = n, "records packages written"),
                    Err(e) => tracing::warn!(error = %e, "writing ordered records packages failed"),
                }
            }
        });
    }
    if sweep_every > 0 {
        // The compliance calendar: a designation takes effect on its day even if nobody asks.
        let service = app.service.clone();
        tokio::spawn(async move {
            let actor = Actor {
                id: "system:sweep".into(),
                role: "admin".into(),
            };
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(sweep_every));
            loop {
                tick.tick().await;
                match service.sweep(&actor).await {
                    Ok(r) => tracing::info!(
                        transitions = r.transitions.len(),
                        redecided = r.redecided,
                        closed = r.closed,
                        "compliance sweep"
                    ),
                    Err(e) => tracing::warn!(error = %e, "compliance sweep failed"),
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, "serving");
    custos_server::serve::serve(
        listener,
        AppState::new(app.service.clone()),
        limits,
        shutdown(),
    )
    .await
    .context("server error")
}
