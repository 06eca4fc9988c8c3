//! Preservation (18 U.S.C. 2703(f)): legal holds on a request's scope that lapse after the
//! policy's days, extended once; and the holds served process keeps until it is answered.

use chrono::{DateTime, Utc};
use custos_core::legal::{Instrument, preserved_until};
use custos_store::StoreError;

use super::{Held, LegalRequest, opt_text};
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{Actor, App, new_id};

impl App {
    /// Puts the customers in scope under legal holds that lapse when the preservation does.
    pub(super) async fn preserve(
        &self,
        r: &mut LegalRequest,
        actor: &Actor,
        extend: bool,
    ) -> Result<()> {
        let p = &self.policy().legal;
        let until = preserved_until(p, r.received_at, extend);
        let holds = self.hold_scope(r, actor, Some(until)).await?;
        if holds.is_empty() && !r.customers.is_empty() {
            return Err(Error::Conflict(
                "every customer in scope was destroyed by retention before the request: \
                 nothing is left to preserve"
                    .into(),
            ));
        }
        r.preserved_until = Some(until);
        r.preservation_extended = extend;
        r.holds = holds;
        Ok(())
    }

    /// Legal holds on the customers in scope (those not destroyed): until `until`, or until
    /// they are released (when the request is answered, rejected or withdrawn).
    pub(super) async fn hold_scope(
        &self,
        r: &LegalRequest,
        actor: &Actor,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Held>> {
        let mut holds = vec![];
        for c in &r.customers {
            let hold = custos_core::LegalHold {
                id: new_id("hold_"),
                reason: match until {
                    Some(u) => format!(
                        "preservation under 18 U.S.C. 2703(f) until {}",
                        u.date_naive()
                    ),
                    None => "legal process served: kept until it is answered".into(),
                },
                reference: Some(r.id.clone()),
                placed_by: actor.id.clone(),
                placed_at: self.now(),
                released_by: None,
                released_at: None,
                expires_at: until,
            };
            match self.store().place_hold(c, &hold).await {
                Ok(()) => holds.push(Held {
                    customer_id: c.clone(),
                    hold_id: hold.id,
                }),
                // Nothing of a destroyed customer is left to preserve.
                Err(StoreError::Destroyed(_)) => {}
                Err(e) => {
                    // None of this request's holds stay behind it unrecorded.
                    for Held {
                        customer_id: c,
                        hold_id: h,
                    } in &holds
                    {
                        let _ = self.store().release_hold(c, h, &actor.id, self.now()).await;
                    }
                    return Err(e.into());
                }
            }
        }
        for Held {
            customer_id: c,
            hold_id: h,
        } in &holds
        {
            self.audit(actor, None, "place_legal_hold", &format!("{c}/{h}"))
                .await?;
        }
        Ok(holds)
    }

    /// Releases a request's holds (those still in force): retention takes its course again.
    pub(crate) async fn release_scope(&self, r: &mut LegalRequest, actor: &Actor) -> Result<()> {
        for Held {
            customer_id: c,
            hold_id: h,
        } in std::mem::take(&mut r.holds)
        {
            match self
                .store()
                .release_hold(&c, &h, &actor.id, self.now())
                .await
            {
                Ok(_) => {
                    self.audit(actor, None, "release_legal_hold", &format!("{c}/{h}"))
                        .await?
                }
                Err(
                    StoreError::Conflict(_) | StoreError::Destroyed(_) | StoreError::NotFound(_),
                ) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Extends a preservation once, by the policy's extension, on a renewed request: its
    /// scope stays frozen until then. An expired preservation cannot be extended (a new
    /// request preserves what is left).
    pub async fn extend_preservation(
        &self,
        caller: &Caller,
        id: &str,
        note: Option<String>,
    ) -> Result<LegalRequest> {
        caller.require(Permission::LegalHold)?;
        let actor = caller.actor();
        let note = opt_text("note", &note)?;
        let _once = self.once.lock().await;
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        if r.instrument != Instrument::Preservation {
            return Err(Error::Conflict(format!(
                "legal request {id} is a {}, not a preservation",
                r.instrument.as_str()
            )));
        }
        if r.preservation_extended {
            return Err(Error::Conflict(format!(
                "the preservation of legal request {id} was extended once already (18 U.S.C. \
                 2703(f)(2) allows one extension): a new request preserves further"
            )));
        }
        if r.preserved_until.is_some_and(|u| u <= self.now()) {
            return Err(Error::Conflict(format!(
                "the preservation of legal request {id} expired on {}: it cannot be extended; \
                 record a new preservation request",
                r.preserved_until
                    .map(|u| u.to_rfc3339())
                    .unwrap_or_default()
            )));
        }
        if r.state.is_final() {
            return Err(Error::Conflict(format!(
                "legal request {id} is {}",
                r.state.as_str()
            )));
        }
        let mut old = r.clone();
        self.preserve(&mut r, &actor, true).await?;
        // The old holds give way to the new ones, which last longer.
        self.release_scope(&mut old, &actor).await?;
        let state = r.state;
        r.step(
            self.now(),
            &actor.id,
            state,
            Some(note.unwrap_or_else(|| "preservation extended".into())),
        );
        self.keep(&r).await?;
        self.audit(&actor, None, "extend_preservation", id).await?;
        Ok(r)
    }
}
