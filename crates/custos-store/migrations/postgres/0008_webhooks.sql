-- Webhooks. The outbox holds every change a control plane acts on (an account's decision, a
-- customer's verification, a screening case, a designation), written in the same transaction
-- as the change itself, numbered in commit order: ids and states only, nothing personal. The
-- events feed reads it; the dispatcher fans it out to the endpoints an admin registered
-- (their signing secrets wrapped under the keyring's KEK, as data keys are) and keeps every
-- delivery and each attempt at it.
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    -- The last outbox event before it was registered: it gets those after.
    since_seq BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_seq BIGINT NOT NULL REFERENCES outbox(seq),
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status BIGINT,
    last_error TEXT,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
    n BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
-- How far the dispatcher has fanned the outbox out.
CREATE TABLE webhook_cursor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO webhook_cursor (id, seq) VALUES (1, 0);
