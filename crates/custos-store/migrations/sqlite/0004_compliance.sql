-- The compliance program's records: exemptions, requests for resellers' CIPs, non-compliance
-- cases, the Abuse Deterrence Program's reviews and deviations, re-verification, sweeps. Each is
-- a JSON body with the columns its clocks and queues are read by; none holds personal data.
CREATE TABLE compliance_records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT,
    created_at BIGINT NOT NULL,
    due_at BIGINT,
    closed_at BIGINT,
    body TEXT NOT NULL
);
CREATE INDEX compliance_records_kind ON compliance_records(kind, subject, created_at);
-- Program documents (the provider's CIP, each reseller's CIP, ADP documents), every version
-- kept, each sealed under its own data key wrapped by the keyring.
CREATE TABLE compliance_documents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    meta TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    content BLOB NOT NULL,
    UNIQUE (owner, kind, version)
);
-- A reseller's key is scoped to its own account and everything under it.
ALTER TABLE api_keys ADD COLUMN scope TEXT;
