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
        (name = "legal", description = "Legal holds"),
        (name = "screening", description = "Designated lists, screening cases and exposure"),
        (name = "ledger", description = "The access ledger (EO 1(a)(ii)(D)): events, and who did what from where"),
        (name = "compliance", description = "Special measures, resellers' oversight, exemptions, the ADP record, certifications and deadlines"),
        (name = "admin", description = "Audit trail and API keys"),
        (name = "webhooks", description = "Webhook endpoints, their deliveries, and the events feed"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;
