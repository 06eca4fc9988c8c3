-- Work retention leaves for the ledger's owner (the process that holds the ledger: a running
-- server, or the command itself when none runs): each account whose ledger events are to be
-- purged (`ledger_purge`, subject: the account id), and the retiring of the key-encryption
-- keys that wrapped destroyed data keys (`retire_keys`). Done work keeps its time and result
-- (events purged, keys retired). `generation` counts the times the work was queued: work done
-- while it was queued again (events that came during a purge) stays pending. Nothing personal.
CREATE TABLE retention_queue (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    done_at BIGINT,
    result BIGINT,
    generation BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX retention_queue_pending ON retention_queue(kind, done_at);
