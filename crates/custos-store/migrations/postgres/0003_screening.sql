-- Screening cases, mirrored from each customer's clear summary in the same transaction as the
-- sealed record: the reviewers' queue, read without decrypting anything. A case names a list
-- entry and its state, never what of the subject matched.
CREATE TABLE screening_cases (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX screening_cases_state ON screening_cases(state, id);
CREATE INDEX screening_cases_customer ON screening_cases(customer_id);
