-- What a list's hits ask of a provider (`prohibition`, `review` or `informational`), chosen
-- when the list is imported and kept with each version. Versions imported before this was
-- recorded were all treated as prohibitions, and stay so.
ALTER TABLE list_versions ADD COLUMN measure TEXT NOT NULL DEFAULT 'prohibition';
