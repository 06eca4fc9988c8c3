-- Reference lists for detection (IP ranges with labels, disposable email domains, BIN
-- ranges): public data, stored in clear, one row a version with its canonical text. The
-- newest version of a kind is the one in use; versions are never deleted.
CREATE TABLE reference_versions (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    retrieved_at BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    entries BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX reference_versions_kind ON reference_versions(kind, id);
