-- When a customer was last screened, and against which list versions, when that screening
-- changed none of its cases: a re-screening of every customer after a new list version marks
-- the customers it leaves as they were here, in a row of a few bytes, instead of sealing and
-- rewriting each whole record. A customer's record, opened, takes the time and versions from
-- here when they are newer than its own. No personal data: a time and list version numbers.
CREATE TABLE customer_screenings (
    customer_id TEXT PRIMARY KEY,
    screened_at BIGINT NOT NULL,
    versions TEXT NOT NULL
);
