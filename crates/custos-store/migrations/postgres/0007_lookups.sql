-- Finding what exists: the provider's own reference for a customer (an opaque id of its
-- systems, kept in clear beside the summary, which holds it too), and indexes for the lists'
-- filters and their stable order. Customers made before this migration get their reference
-- from their sealed record when it runs (see `SqlStore::migrate`).
ALTER TABLE customers ADD COLUMN external_ref TEXT;
CREATE INDEX customers_external_ref ON customers(external_ref);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX legal_holds_open ON legal_holds(released_at, id);
