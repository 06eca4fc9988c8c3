//! The OpenAPI 3.1 document: its info, security scheme and tags. Its paths come from the
//! handlers as [`crate::router`] lists them.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `custos_<id>_<secret>_<crc>`"))
                    .build(),
            ),
        );
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "custos",
        description = "Identity verification and record keeping for IaaS providers under \
            Executive Order 13984. Errors are RFC 9457 `application/problem+json`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Bearer),
    tags(
        (name = "customers", description = "Customer records (EO 1(a)(ii))"),
        (name = "accounts", description = "Accounts and their decisions"),
        (name = "verification", description = "Verification results, reviews and redress"),
        (name = "legal", description = "Legal holds, and legal process: requests, preservation, records packages"),
        (name = "abuse", description = "Abuse reports traced through the ledger to accounts, and the cases they open"),
        (name = "detection", description = "The reference lists red flags read: IP ranges, disposable email domains, BIN ranges"),
        (name = "sharing", description = "What the provider shares with peers: TAXII collections (served under `/taxii2/`), abuse cases shared as STIX 2.1"),
        (name = "screening", description = "Designated lists, screening cases and exposure"),
        (name = "ledger", description = "The access ledger (EO 1(a)(ii)(D)): events, and who did what from where"),
        (name = "compliance", description = "Special measures, resellers' oversight, exemptions, the ADP record, certifications and deadlines"),
        (name = "approvals", description = "Four eyes: decisions that wait for a second person"),
        (name = "admin", description = "Audit trail and API keys"),
        (name = "webhooks", description = "Webhook endpoints, their deliveries, and the events feed"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// What every operation shares, added once the routes are in the document: every POST takes
/// an `Idempotency-Key`; every operation that needs a key can answer 401 and 403, and every
/// one may answer a problem (`default`), all as RFC 9457 problem+json.
pub fn finish(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
    let problem = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Replays return the first response (a request refused before it ran keeps \
             nothing: send it again, corrected, under the same key)",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(255)),
        ))
        .build();
    for item in api.paths.paths.values_mut() {
        if let Some(op) = item.post.as_mut() {
            // One declaration of the header for every POST, whatever a route said of it.
            let params = op.parameters.get_or_insert_with(Vec::new);
            params.retain(|p| p.name != "Idempotency-Key");
            params.push(key.clone());
        }
        let ops = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            let r = &mut op.responses.responses;
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                r.entry("401".into())
                    .or_insert_with(|| problem("No valid API key"));
                r.entry("403".into())
                    .or_insert_with(|| problem("The key's role may not do this"));
            }
            r.entry("default".into())
                .or_insert_with(|| problem("An error (RFC 9457 problem+json)"));
            // A problem is sent as `application/problem+json`, whichever status a route
            // declared it under.
            for resp in r.values_mut() {
                let RefOr::T(resp) = resp else { continue };
                let is_problem = resp.content.get("application/json").is_some_and(|c| {
                    matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
                });
                if is_problem && let Some(c) = resp.content.shift_remove("application/json") {
                    resp.content.insert("application/problem+json".into(), c);
                }
            }
        }
    }
}
