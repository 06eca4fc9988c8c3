-- custos schema, PostgreSQL. Clear columns hold only ids, times, statuses and derived
-- classifications; everything personal is in `customers.record`, sealed under the customer's
-- data key.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    summary TEXT NOT NULL,
    record BYTEA,
    destroyed_at BIGINT
);
CREATE TABLE data_keys (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id),
    kek_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL
);
CREATE TABLE blind_index (
    kind TEXT NOT NULL,
    digest BYTEA NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    PRIMARY KEY (kind, digest, customer_id)
);
CREATE INDEX blind_index_customer ON blind_index(customer_id);
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    offering TEXT NOT NULL,
    parent_id TEXT REFERENCES accounts(id),
    status TEXT NOT NULL,
    needs_action BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    last_access_at BIGINT,
    body TEXT NOT NULL
);
CREATE INDEX accounts_customer ON accounts(customer_id);
CREATE INDEX accounts_parent ON accounts(parent_id);
CREATE INDEX accounts_action ON accounts(needs_action, id);
CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    placed_at BIGINT NOT NULL,
    released_at BIGINT,
    body TEXT NOT NULL
);
CREATE INDEX legal_holds_customer ON legal_holds(customer_id);
CREATE TABLE tombstones (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id),
    destroyed_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    body TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE FUNCTION custos_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only();
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE idempotency (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status BIGINT,
    body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (principal, key)
);
