-- STIX objects in the provider's TAXII collections: what it shares with peers and what it
-- took in from them. Each version of an object is one row, its JSON sealed under its own data
-- key (a shared object names infrastructure, and may carry what a person chose to share);
-- the clear columns are what TAXII filters on: ids, types, versions and times, and the
-- SHA-256 of the JSON (a cyber-observable has no time of its own: its version is when it was
-- added, and the same content is not added twice). `date_added` (microseconds) is unique
-- within a collection, so a page ends at one row exactly.
CREATE TABLE sharing_objects (
    id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    version TEXT NOT NULL,
    date_added BIGINT NOT NULL,
    object_type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    body BLOB NOT NULL
);
CREATE UNIQUE INDEX sharing_objects_version ON sharing_objects(collection_id, object_id, version);
CREATE UNIQUE INDEX sharing_objects_added ON sharing_objects(collection_id, date_added);
