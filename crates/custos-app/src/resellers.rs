//! Overseeing resellers: a reseller's own key, scoped to its reseller account and everything
//! under it, to record its sub-lessees; the tree the provider sees whole; the CIP documents of
//! the provider and of each reseller, every version kept; requests for them and their 10-day
//! clock, answered by one package; and non-compliance: flag, 30-day termination clock,
//! reports, resolution or termination.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use custos_core::{Account, AccountId, AccountKind, AccountStatus, CoreError, CustomerId};
use custos_store::{DocumentMeta, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::Error;
use crate::kept::CustomerOwner;
use crate::service::{Actor, App, CustomerPages, Result, new_id};

/// The owner name of the provider's own program documents.
pub const PROVIDER: &str = "provider";

/// The largest program document kept: 20 MiB.
pub const MAX_DOCUMENT: usize = 20 * 1024 * 1024;

/// Media types a program document may have.
pub const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "text/markdown",
    "text/plain",
    "text/html",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
];

/// One account of a reseller tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TreeNode {
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    pub status: AccountStatus,
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// A reseller account as its overseer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResellerView {
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub status: AccountStatus,
    /// The reseller is a foreign person: its CIP must be kept and produced on request.
    pub foreign: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<AccountId>,
    /// The latest version of its CIP, if it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub cip: Option<DocumentMeta>,
    /// Open non-compliance cases.
    pub open_non_compliance: Vec<String>,
}

/// A request (from Commerce, or another authority) to produce the CIPs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CipRequest {
    pub id: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub reference: String,
    pub due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// SHA-256 of the package that answered it (or, while it is not answered, of the last
    /// package made for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_sha256: Option<String>,
    /// When the last package for it was made; it answers the request only if it lacked no
    /// foreign reseller's CIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_package_at: Option<DateTime<Utc>>,
    /// The foreign resellers whose CIP the last package lacked: the request stays open, and
    /// its deadline with it, until a package has them all.
    #[serde(default)]
    pub outstanding: Vec<AccountId>,
    pub recorded_by: String,
}

/// A report made on a non-compliance case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NonComplianceReport {
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    /// The report includes suspected malicious cyber activity.
    pub suspected_malicious_activity: bool,
}

/// How a non-compliance case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NonComplianceOutcome {
    /// The reseller came into compliance; the relationship continues.
    Resolved,
    /// The relationship was ended: the reseller account, and everything under it, closed.
    Terminated,
}

/// A reseller flagged as not complying.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NonCompliance {
    pub id: String,
    pub account_id: AccountId,
    pub reason: String,
    pub flagged_at: DateTime<Utc>,
    pub flagged_by: String,
    /// The relationship must end by then unless resolved.
    pub terminate_by: DateTime<Utc>,
    #[serde(default)]
    pub reports: Vec<NonComplianceReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<NonComplianceOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed so, beside `reason`, why it was flagged (named `note` before; kept
    /// cases read as before).
    #[serde(
        default,
        rename = "close_reason",
        alias = "note",
        skip_serializing_if = "Option::is_none"
    )]
    pub note: Option<String>,
}

/// The manifest of a CIP package.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackageManifest {
    pub generated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Every document in the package, with its path in it.
    pub documents: Vec<PackagedDocument>,
    /// Foreign resellers that have given no CIP.
    pub missing: Vec<AccountId>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackagedDocument {
    pub path: String,
    #[schema(value_type = Object)]
    pub document: DocumentMeta,
}

/// A file name as a document keeps it: its last path component, printable, at most 200 bytes.
pub fn clean_file_name(s: &str) -> std::result::Result<String, CoreError> {
    let base = s.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty()
        || base.len() > 200
        || base == "."
        || base == ".."
        || base.chars().any(char::is_control)
    {
        return Err(CoreError::invalid(
            "file_name",
            "a file name of 1 to 200 printable characters",
        ));
    }
    Ok(base.to_owned())
}

impl App {
    /// Checks the scope of a new API key: a reseller's key needs an open reseller account,
    /// and no other key has one.
    pub async fn check_key_scope(&self, reseller: bool, scope: Option<&AccountId>) -> Result<()> {
        match (reseller, scope) {
            (true, None) => Err(CoreError::invalid(
                "scope",
                "a reseller's key needs the reseller account it is limited to",
            )
            .into()),
            (false, Some(_)) => {
                Err(CoreError::invalid("scope", "only a reseller's key has a scope").into())
            }
            (false, None) => Ok(()),
            (true, Some(id)) => {
                let a = match self.store().get_account(id).await {
                    Ok(a) => a,
                    Err(StoreError::NotFound(_)) => {
                        return Err(CoreError::invalid("scope", format!("no account {id}")).into());
                    }
                    Err(e) => return Err(e.into()),
                };
                if a.kind != AccountKind::Reseller || a.closed_at.is_some() {
                    return Err(CoreError::invalid(
                        "scope",
                        format!("account {id} is not an open reseller account"),
                    )
                    .into());
                }
                Ok(())
            }
        }
    }

    /// Whether `account` is `scope` or under it.
    pub async fn in_subtree(&self, account: &AccountId, scope: &AccountId) -> Result<bool> {
        let mut cur = Some(account.clone());
        for _ in 0..=self.policy().resellers.max_chain_depth + 1 {
            let Some(id) = cur else { break };
            if id == *scope {
                return Ok(true);
            }
            cur = match self.store().get_account(&id).await {
                Ok(a) => a.parent_id,
                Err(StoreError::NotFound(_)) => return Ok(false),
                Err(e) => return Err(e.into()),
            };
        }
        Ok(false)
    }

    /// Creates a customer for a caller: when the caller is a reseller's key (`scope`), the
    /// customer is recorded as the reseller's own, so that its key sees it.
    pub async fn create_customer_as(
        &self,
        profile: custos_core::CustomerProfile,
        owners: Vec<custos_core::BeneficialOwner>,
        external_ref: Option<String>,
        scope: Option<&AccountId>,
    ) -> Result<custos_core::Customer> {
        let c = self.create_customer(profile, owners, external_ref).await?;
        if let Some(scope) = scope {
            self.record_customer_owner(&c.id, scope).await?;
        }
        Ok(c)
    }

    /// Opens an account for a caller: a reseller's key (`scope`) opens accounts only under
    /// its own subtree, for its own customers.
    pub async fn open_account_as(
        &self,
        req: crate::service::NewAccount,
        scope: Option<&AccountId>,
    ) -> Result<Account> {
        if let Some(scope) = scope {
            let under = match &req.parent_id {
                Some(parent) => self.in_subtree(parent, scope).await?,
                None => false,
            };
            if !under {
                return Err(Error::invalid(
                    "parent_account_id",
                    "a reseller opens accounts under its own reseller account or the ones below it",
                ));
            }
            if !self.customer_in_scope(&req.customer_id, scope).await? {
                return Err(Error::NotFound(format!("customer {}", req.customer_id)));
            }
        }
        self.open_account(req).await
    }

    /// Records that a reseller's key created this customer.
    pub async fn record_customer_owner(
        &self,
        customer: &CustomerId,
        scope: &AccountId,
    ) -> Result<()> {
        self.keep(&CustomerOwner {
            customer_id: customer.clone(),
            reseller_account_id: scope.clone(),
            at: self.now(),
        })
        .await
    }

    /// Whether a reseller scoped to `scope` may see and change this customer: one it (or a
    /// reseller under it) created, or one with an account in its subtree.
    pub async fn customer_in_scope(
        &self,
        customer: &CustomerId,
        scope: &AccountId,
    ) -> Result<bool> {
        if let Some((_, owner)) = self
            .kept::<CustomerOwner>(&format!("owner:{customer}"))
            .await?
            && self.in_subtree(&owner.reseller_account_id, scope).await?
        {
            return Ok(true);
        }
        for a in self.store().accounts_of(customer).await? {
            if a.id != *scope && self.in_subtree(&a.id, scope).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The accounts under `root`, as a tree.
    pub async fn tree(&self, root: &AccountId) -> Result<TreeNode> {
        let a = self.store().get_account(root).await?;
        let mut nodes: BTreeMap<AccountId, (Account, Vec<AccountId>)> = BTreeMap::new();
        let mut queue = VecDeque::from([a]);
        let mut order = vec![];
        while let Some(a) = queue.pop_front() {
            if nodes.len() > 100_000 {
                break;
            }
            let children = if a.kind == AccountKind::Reseller {
                self.store().children_of(&a.id).await?
            } else {
                vec![]
            };
            order.push(a.id.clone());
            nodes.insert(
                a.id.clone(),
                (a, children.iter().map(|c| c.id.clone()).collect()),
            );
            queue.extend(children);
        }
        fn build(
            id: &AccountId,
            nodes: &BTreeMap<AccountId, (Account, Vec<AccountId>)>,
        ) -> TreeNode {
            let (a, kids) = &nodes[id];
            TreeNode {
                account_id: a.id.clone(),
                customer_id: a.customer_id.clone(),
                kind: a.kind,
                status: a.status(),
                children: kids
                    .iter()
                    .filter(|k| nodes.contains_key(*k))
                    .map(|k| build(k, nodes))
                    .collect(),
            }
        }
        Ok(build(root, &nodes))
    }

    /// Every reseller account, with whether its customer is foreign, its latest CIP and its
    /// open non-compliance cases.
    pub async fn resellers(&self) -> Result<Vec<ResellerView>> {
        let cips = self.store().documents(None, Some("cip")).await?;
        let open: Vec<NonCompliance> = self
            .all_kept::<NonCompliance>()
            .await?
            .into_iter()
            .filter(|n| n.closed_at.is_none())
            .collect();
        let mut out = vec![];
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for cid in ids {
                let accounts = self.store().accounts_of(&cid).await?;
                if !accounts.iter().any(|a| a.kind == AccountKind::Reseller) {
                    continue;
                }
                let foreign = match self.store().load_summary(&cid).await {
                    Ok(s) => !s.value.all_us_persons(),
                    Err(StoreError::Destroyed(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                for a in accounts
                    .into_iter()
                    .filter(|a| a.kind == AccountKind::Reseller)
                {
                    out.push(ResellerView {
                        cip: cips
                            .iter()
                            .filter(|d| d.owner == a.id.as_str())
                            .max_by_key(|d| d.version)
                            .cloned(),
                        open_non_compliance: open
                            .iter()
                            .filter(|n| n.account_id == a.id)
                            .map(|n| n.id.clone())
                            .collect(),
                        account_id: a.id.clone(),
                        customer_id: cid.clone(),
                        status: a.status(),
                        foreign,
                        parent_id: a.parent_id.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Stores a new version of a program document of `owner` (the provider, or a reseller
    /// account), of `kind` (`cip`, `adp`, ...).
    #[allow(clippy::too_many_arguments)]
    pub async fn put_document(
        &self,
        owner: &str,
        kind: &str,
        file_name: &str,
        media_type: &str,
        content: &[u8],
        actor: &Actor,
    ) -> Result<DocumentMeta> {
        if owner != PROVIDER {
            let id = AccountId::parse(owner)?;
            let a = self.store().get_account(&id).await?;
            if a.kind != AccountKind::Reseller {
                return Err(
                    CoreError::Conflict(format!("account {id} is not a reseller account")).into(),
                );
            }
        }
        if content.is_empty() || content.len() > MAX_DOCUMENT {
            return Err(CoreError::invalid("content", "a document of 1 byte to 20 MiB").into());
        }
        if !DOCUMENT_TYPES.contains(&media_type) {
            return Err(CoreError::invalid(
                "content-type",
                format!("one of {}", DOCUMENT_TYPES.join(", ")),
            )
            .into());
        }
        let file_name = clean_file_name(file_name)?;
        let meta = DocumentMeta {
            id: String::new(),
            owner: owner.to_owned(),
            kind: kind.to_owned(),
            version: 0,
            uploaded_at: self.now(),
            uploaded_by: actor.id.clone(),
            file_name,
            media_type: media_type.to_owned(),
            sha256: hex::encode(Sha256::digest(content)),
            size: content.len() as u64,
        };
        let m = self.store().add_document(&meta, content).await?;
        self.audit(actor, None, "add_document", &m.id).await?;
        Ok(m)
    }

    /// A document's content; the read is audited first.
    pub async fn read_document(&self, id: &str, actor: &Actor) -> Result<(DocumentMeta, Vec<u8>)> {
        // Refuse unknown ids before auditing.
        if !self
            .store()
            .documents(None, None)
            .await?
            .iter()
            .any(|d| d.id == id && !crate::legal::is_legal_document(&d.kind))
        {
            // A legal request's sealed parts are read through the legal operations only.
            return Err(Error::NotFound(format!("document {id}")));
        }
        self.audit(actor, Some("oversight"), "read_document", id)
            .await?;
        Ok(self.store().document(id).await?)
    }

    /// Records a request to produce the CIPs; it is due the policy's days later.
    pub async fn add_cip_request(
        &self,
        requested_at: Option<DateTime<Utc>>,
        requested_by: String,
        reference: String,
        actor: &Actor,
    ) -> Result<CipRequest> {
        let now = self.now();
        let at = requested_at.unwrap_or(now);
        if at > now + Duration::minutes(5) {
            return Err(CoreError::invalid("requested_at", "is in the future").into());
        }
        let r = CipRequest {
            id: new_id("cipreq_"),
            requested_at: at,
            requested_by,
            reference,
            due_at: at + Duration::days(i64::from(self.policy().compliance.cip_request_days)),
            fulfilled_at: None,
            last_package_at: None,
            outstanding: vec![],
            package_sha256: None,
            recorded_by: actor.id.clone(),
        };
        self.keep(&r).await?;
        self.audit(actor, None, "add_cip_request", &r.id).await?;
        Ok(r)
    }

    pub async fn cip_requests(&self) -> Result<Vec<CipRequest>> {
        self.all_kept().await
    }

    /// The package of CIPs: the provider's latest and every foreign reseller's latest, as a
    /// zip with a `manifest.json`; it answers `request` when given. Every document read is
    /// audited.
    pub async fn cip_package(
        &self,
        request: Option<&str>,
        actor: &Actor,
    ) -> Result<(PackageManifest, Vec<u8>)> {
        let mut req = match request {
            Some(id) => Some(self.kept_one::<CipRequest>(id).await?),
            None => None,
        };
        let mut wanted: Vec<(String, String)> = vec![];
        let mut missing = vec![];
        let all = self.store().documents(None, Some("cip")).await?;
        let latest = |owner: &str| {
            all.iter()
                .filter(|d| d.owner == owner)
                .max_by_key(|d| d.version)
                .cloned()
        };
        match latest(PROVIDER) {
            Some(d) => wanted.push(("provider".into(), d.id)),
            None => {
                return Err(CoreError::Conflict(
                    "the provider's own CIP has not been stored (PUT /v1/compliance/cip)".into(),
                )
                .into());
            }
        }
        for r in self.resellers().await?.into_iter().filter(|r| r.foreign) {
            match latest(r.account_id.as_str()) {
                Some(d) => wanted.push((format!("resellers/{}", r.account_id), d.id)),
                None => missing.push(r.account_id),
            }
        }
        let mut docs = vec![];
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (dir, id) in &wanted {
                let (m, content) = self.read_document(id, actor).await?;
                let path = format!("{dir}/v{}-{}", m.version, m.file_name);
                zip.start_file(path.as_str(), opts).map_err(zip_err)?;
                zip.write_all(&content).map_err(|e| zip_err(e.into()))?;
                docs.push(PackagedDocument { path, document: m });
            }
            let manifest = PackageManifest {
                generated_at: self.now(),
                request_id: request.map(str::to_owned),
                documents: docs.clone(),
                missing: missing.clone(),
            };
            zip.start_file("manifest.json", opts).map_err(zip_err)?;
            zip.write_all(
                &serde_json::to_vec_pretty(&manifest)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            )
            .map_err(|e| zip_err(e.into()))?;
            zip.finish().map_err(zip_err)?;
        }
        let bytes = buf.into_inner();
        let manifest = PackageManifest {
            generated_at: self.now(),
            request_id: request.map(str::to_owned),
            documents: docs,
            missing,
        };
        if let Some(mut r) = req.take() {
            let now = self.now();
            // Fulfilled only by a package that lacks nothing.
            if manifest.missing.is_empty() {
                r.fulfilled_at.get_or_insert(now);
            }
            r.last_package_at = Some(now);
            r.outstanding = manifest.missing.clone();
            r.package_sha256 = Some(hex::encode(Sha256::digest(&bytes)));
            self.keep(&r).await?;
        }
        self.audit(actor, None, "export_cip_package", request.unwrap_or("-"))
            .await?;
        Ok((manifest, bytes))
    }

    /// Flags a reseller as not complying: the termination clock starts.
    pub async fn flag_non_compliance(
        &self,
        account: &AccountId,
        reason: String,
        actor: &Actor,
    ) -> Result<NonCompliance> {
        self.flag_non_compliance_as(new_id("nc_"), account, reason, actor)
            .await
    }

    /// [`App::flag_non_compliance`] with an id the caller chose (the demo's).
    pub async fn flag_non_compliance_as(
        &self,
        id: String,
        account: &AccountId,
        reason: String,
        actor: &Actor,
    ) -> Result<NonCompliance> {
        let reason = custos_core::text::free_text("reason", &reason)?;
        let a = self.store().get_account(account).await?;
        if a.kind != AccountKind::Reseller {
            return Err(CoreError::Conflict(format!(
                "account {account} is not a reseller account"
            ))
            .into());
        }
        if a.closed_at.is_some() {
            return Err(CoreError::Conflict(format!("account {account} is closed")).into());
        }
        // One open case a reseller: flagging again (a form sent twice) would start a second
        // clock beside the first.
        let _once = self.once.lock().await;
        if let Some(open) = self
            .non_compliance_cases()
            .await?
            .into_iter()
            .find(|c| c.account_id == *account && c.closed_at.is_none())
        {
            return Err(CoreError::Conflict(format!(
                "reseller {account} is flagged already: case {} is open",
                open.id
            ))
            .into());
        }
        let now = self.now();
        let n = NonCompliance {
            id,
            account_id: account.clone(),
            reason,
            flagged_at: now,
            flagged_by: actor.id.clone(),
            terminate_by: now
                + Duration::days(i64::from(
                    self.policy().compliance.reseller_termination_days,
                )),
            reports: vec![],
            outcome: None,
            closed_at: None,
            note: None,
        };
        self.save_non_compliance(&n).await?;
        self.audit(actor, None, "flag_non_compliance", &n.id)
            .await?;
        Ok(n)
    }

    async fn save_non_compliance(&self, n: &NonCompliance) -> Result<()> {
        self.keep(n).await
    }

    pub async fn non_compliance(&self, id: &str) -> Result<NonCompliance> {
        self.kept_one(id).await
    }

    pub async fn non_compliance_cases(&self) -> Result<Vec<NonCompliance>> {
        self.all_kept().await
    }

    /// Adds a report to an open case.
    pub async fn report_non_compliance(
        &self,
        id: &str,
        text: String,
        suspected_malicious_activity: bool,
        actor: &Actor,
    ) -> Result<NonCompliance> {
        let text = custos_core::text::free_text("text", &text)?;
        // Read and written under the lock: a report and a close at once both count.
        let _once = self.once.lock().await;
        let mut n = self.non_compliance(id).await?;
        if n.closed_at.is_some() {
            return Err(CoreError::Conflict(format!("non-compliance case {id} is closed")).into());
        }
        n.reports.push(NonComplianceReport {
            at: self.now(),
            by: actor.id.clone(),
            text,
            suspected_malicious_activity,
        });
        self.save_non_compliance(&n).await?;
        self.audit(actor, None, "report_non_compliance", id).await?;
        Ok(n)
    }

    /// Ends a case: resolved (the relationship continues) or terminated (the reseller account
    /// and everything under it closed).
    pub async fn close_non_compliance(
        &self,
        id: &str,
        outcome: NonComplianceOutcome,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<NonCompliance> {
        let note = note
            .map(|n| custos_core::text::free_text("reason", &n))
            .transpose()?;
        let _once = self.once.lock().await;
        let mut n = self.non_compliance(id).await?;
        if n.closed_at.is_some() {
            return Err(CoreError::Conflict(format!("non-compliance case {id} is closed")).into());
        }
        if outcome == NonComplianceOutcome::Terminated {
            let a = self.store().get_account(&n.account_id).await?;
            if a.closed_at.is_none() {
                self.close_account(
                    &n.account_id,
                    &format!("reseller relationship terminated for non-compliance ({id})"),
                )
                .await?;
            }
        }
        n.outcome = Some(outcome);
        n.closed_at = Some(self.now());
        n.note = note;
        self.save_non_compliance(&n).await?;
        self.audit(actor, None, "close_non_compliance", id).await?;
        Ok(n)
    }
}

fn zip_err(e: zip::result::ZipError) -> crate::service::Error {
    Error::Rendering(format!("the package: {e}"))
}
