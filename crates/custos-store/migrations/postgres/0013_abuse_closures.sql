-- Customers closed for abuse, with the abuse case that closed them: a sign-up sharing one of
-- their identifiers is a returning abuser (`abused.*` in the red-flag rules). The row goes
-- with the customer's other records when they are destroyed.
CREATE TABLE abuse_closures (
    customer_id TEXT PRIMARY KEY,
    closed_at BIGINT NOT NULL,
    case_id TEXT NOT NULL
);
