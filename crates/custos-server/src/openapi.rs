//! The OpenAPI 3.1 document, generated from the handlers and types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{accounts, admin, customers, health};

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
    paths(
        customers::create, customers::get, customers::record, customers::search,
        customers::add_contact, customers::add_payment_means, customers::add_document,
        customers::address_change,
        customers::verification_result, customers::review, customers::resubmit,
        customers::owner_change, customers::place_hold, customers::release_hold,
        accounts::open, accounts::get, accounts::close, accounts::access, accounts::needing_action,
        accounts::profile,
        crate::routes::designations::list, crate::routes::designations::schedule,
        crate::routes::designations::create, crate::routes::designations::extend,
        crate::routes::designations::sweep, crate::routes::designations::preview,
        crate::routes::resellers::list, crate::routes::resellers::tree,
        crate::routes::resellers::put_cip, crate::routes::resellers::cip_versions,
        crate::routes::resellers::put_provider_cip, crate::routes::resellers::document,
        crate::routes::resellers::add_cip_request, crate::routes::resellers::cip_requests,
        crate::routes::resellers::cip_package, crate::routes::resellers::flag,
        crate::routes::resellers::cases, crate::routes::resellers::report,
        crate::routes::resellers::close_case,
        crate::routes::program::grant, crate::routes::program::exemptions,
        crate::routes::program::revoke, crate::routes::program::put_document,
        crate::routes::program::adp, crate::routes::program::add_review,
        crate::routes::program::add_deviation, crate::routes::program::notified,
        crate::routes::program::add_ai_report, crate::routes::program::ai_reports,
        crate::routes::program::filed, crate::routes::program::reverification,
        crate::routes::program::deadlines, crate::routes::program::put_profile,
        crate::routes::program::profile, crate::routes::program::certification,
        crate::routes::program::file, crate::routes::program::filings,
        crate::routes::screen::screen,
        crate::routes::screening::cases, crate::routes::screening::case,
        crate::routes::screening::resolve, crate::routes::screening::rescreen,
        crate::routes::screening::exposure,
        crate::routes::ledger::ingest, crate::routes::ledger::account, crate::routes::ledger::ip,
        admin::audit, admin::create, admin::list,
        health::healthz, health::readyz, health::metrics,
    ),
    tags(
        (name = "customers", description = "Customer records (EO 1(a)(ii))"),
        (name = "accounts", description = "Accounts and their decisions"),
        (name = "verification", description = "Verification results, reviews and redress"),
        (name = "legal", description = "Legal holds"),
        (name = "screening", description = "Designated lists, screening cases and exposure"),
        (name = "ledger", description = "The access ledger (EO 1(a)(ii)(D)): events, and who did what from where"),
        (name = "compliance", description = "Special measures, resellers' oversight, exemptions, the ADP record, certifications and deadlines"),
        (name = "admin", description = "Audit trail and API keys"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;
