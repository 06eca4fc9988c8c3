-- Designated lists and their versions. List data is public (sanctions lists, published
-- designations): it is stored in clear.
CREATE TABLE list_versions (
    id BIGINT PRIMARY KEY,
    list TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    retrieved_at BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    entries BIGINT NOT NULL,
    diff TEXT NOT NULL,
    current BIGINT NOT NULL
);
CREATE INDEX list_versions_list ON list_versions(list, id);
CREATE TABLE list_entries (
    version_id BIGINT NOT NULL REFERENCES list_versions(id),
    entity_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (version_id, entity_id)
);
