//! `custos webhooks`: the endpoints that receive webhooks, their delivery log, and sending a
//! delivery again, as an admin does them through the API.

use anyhow::Result;
use clap::Subcommand;

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, day_or_dash, print_json, time_text};

#[derive(Debug, Subcommand)]
pub enum WebhooksCmd {
    /// Register an endpoint; its signing secret is printed once, on standard output.
    Add {
        url: String,
        /// An event type it wants (`account.closed`, …), repeatable; `*` (the default) for all.
        #[arg(long = "event", default_values_t = vec!["*".to_owned()])]
        events: Vec<String>,
    },
    /// Every endpoint (deleted ones too, marked).
    #[command(visible_alias = "list")]
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Delete an endpoint: nothing more is delivered to it; its deliveries stay on record.
    Rm { id: String },
    /// An endpoint's deliveries, in event order, a page at a time (up to --limit, from after
    /// --starting-after).
    Deliveries {
        endpoint: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// The last delivery of the page before (its id, as printed), or the API's
        /// `next_cursor`.
        #[arg(long)]
        starting_after: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Send a delivery again, now.
    Redeliver { endpoint: String, delivery: String },
}

pub async fn run(app: &App, cmd: WebhooksCmd) -> Result<()> {
    let s = &app.service;
    let actor = cli_actor();
    match cmd {
        WebhooksCmd::Add { url, events } => {
            let n = s.add_webhook_endpoint(&actor, &url, events).await?;
            eprintln!(
                "created webhook endpoint {} for {}; its signing secret is shown only now:",
                n.endpoint.id,
                n.endpoint.event_types.join(", ")
            );
            println!("{}", n.secret);
        }
        WebhooksCmd::Ls { json } => {
            let all = s.webhook_endpoints().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["ID", "URL", "EVENTS", "CREATED", "DELETED"]);
            for e in all {
                t.row(vec![
                    e.id,
                    e.url,
                    e.event_types.join(","),
                    crate::out::day(e.created_at),
                    day_or_dash(e.deleted_at),
                ]);
            }
            t.print("no webhook endpoint")?;
        }
        WebhooksCmd::Rm { id } => {
            s.delete_webhook_endpoint(&actor, &id).await?;
            println!("deleted {id}");
        }
        WebhooksCmd::Deliveries {
            endpoint,
            limit,
            starting_after,
            json,
        } => {
            let limit = custos_app::browse::limit(Some(limit))?;
            // A delivery's id is made the list's cursor; anything else is taken as a cursor,
            // and refused if it is not one of this list's.
            let list = custos_app::browse::List::WebhookDeliveries;
            let cursor = match starting_after {
                Some(c) if c.starts_with("whd_") => {
                    // One of this endpoint's, or the page would start anywhere.
                    s.webhook_delivery(&endpoint, &c).await?;
                    Some(list.cursor(&c))
                }
                other => other,
            };
            let page = s
                .webhook_deliveries(&endpoint, cursor.as_deref(), limit)
                .await
                .map_err(|e| match e {
                    custos_app::Error::Validation { field: Some(f), .. }
                        if f == "starting_after" =>
                    {
                        anyhow::anyhow!(
                            "--starting-after is neither a delivery id of this endpoint's nor a \
                             cursor of its deliveries"
                        )
                    }
                    e => e.into(),
                })?;
            if json {
                return print_json(&serde_json::json!({
                    "data": page.data, "has_more": page.has_more, "next_cursor": page.next_cursor,
                }));
            }
            let last = page.data.last().map(|d| d.id.clone());
            let mut t = Table::new(&[
                "ID", "EVENT", "TYPE", "STATE", "ATTEMPTS", "LAST", "STATUS", "NEXT",
            ]);
            for d in page.data {
                t.row(vec![
                    d.id,
                    d.event_id,
                    d.event_type,
                    d.state,
                    d.attempts.to_string(),
                    d.last_attempt_at.map_or_else(|| "-".into(), time_text),
                    d.last_status.map_or_else(|| "-".into(), |s| s.to_string()),
                    d.next_attempt_at.map_or_else(|| "-".into(), time_text),
                ]);
            }
            t.print("no delivery")?;
            if page.has_more
                && let Some(last) = last
            {
                println!("(more: --starting-after {last})");
            }
        }
        WebhooksCmd::Redeliver { endpoint, delivery } => {
            let d = s.redeliver(&actor, &endpoint, &delivery).await?;
            println!(
                "{}: to be sent again ({} attempts so far)",
                d.id, d.attempts
            );
        }
    }
    Ok(())
}
