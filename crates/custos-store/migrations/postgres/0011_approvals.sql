-- Four eyes: a decision that hurts a customer (refusing a subject, closing an account,
-- confirming a sanctions match, reversing a confirmed one) taken by a person waits here until
-- a second, different person approves or rejects it. What the decision says (its reason, its
-- note) is sealed under the customer's data key, so that it is destroyed with the customer.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    target TEXT NOT NULL,
    body BYTEA NOT NULL,
    requested_by TEXT NOT NULL,
    requested_role TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX approvals_state ON approvals(state, id);
CREATE INDEX approvals_target ON approvals(target, state);
