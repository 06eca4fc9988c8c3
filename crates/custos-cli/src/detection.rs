//! `custos links`: a customer's connected group through shared values, for an investigator.

use anyhow::{Result, anyhow};
use custos_core::CustomerId;

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, day_or_dash, print_json};

pub async fn links(app: &App, customer: &str, purpose: &str, json: bool) -> Result<()> {
    let id = CustomerId::parse(customer.trim())
        .map_err(|e| anyhow!("`{}` is not a customer id: {e}", customer.trim()))?;
    let g = app
        .service
        .customer_links(&cli_actor(), purpose, &id)
        .await?;
    if json {
        return print_json(&g);
    }
    println!(
        "{}: {} linked customer(s){}",
        g.customer_id,
        g.members.len(),
        if g.complete {
            String::new()
        } else {
            format!(
                " (stopped at {}: the group is larger)",
                custos_app::links::MAX_GROUP
            )
        }
    );
    let mut t = Table::new(&["customer", "hops", "linked to", "shares", "since"]);
    for m in &g.members {
        for l in g
            .links
            .iter()
            .filter(|l| l.a == m.customer_id || l.b == m.customer_id)
            .filter(|l| {
                let other = if l.a == m.customer_id { &l.b } else { &l.a };
                g.members
                    .iter()
                    .find(|x| &x.customer_id == other)
                    .map_or(0, |x| x.hops)
                    < m.hops
            })
        {
            let other = if l.a == m.customer_id { &l.b } else { &l.a };
            t.row(vec![
                m.customer_id.to_string(),
                m.hops.to_string(),
                other.to_string(),
                l.kind.clone(),
                day_or_dash(l.since),
            ]);
        }
    }
    t.print("no customer shares a value with it")?;
    for w in &g.widely_shared {
        println!(
            "{} shares a {} with more than {} customers: not followed",
            w.customer_id, w.kind, g.share_cap
        );
    }
    Ok(())
}
