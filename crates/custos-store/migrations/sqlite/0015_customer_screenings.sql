-- When a customer was last screened, and against which list versions, when that screening
-- changed none of its cases: a re-screening of every customer after a new list version marks
-- the customers it leaves as they were here, in a row of a few bytes, instead of sealing and
-- rewriting each whole record. `version` is the version of the record the screening read: a
-- record opened at that version takes the time and versions from here when they are newer
-- than its own, and a save of that version made from an older reading is refused (it is
-- read, screened and saved again). No personal data: a time and list version numbers.
CREATE TABLE customer_screenings (
    customer_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    screened_at BIGINT NOT NULL,
    versions TEXT NOT NULL
);
