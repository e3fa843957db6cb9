-- The read audit of the shared record layer: every read of a record at TLP:AMBER or above
-- (its detail, its timeline, an export), listed to the owner's administrators. Local state,
-- like token secrets: not part of the signed log (a read is not a change to shared state) and
-- not rebuilt from it.
CREATE TABLE record_reads (
    id              TEXT PRIMARY KEY,
    record_id       TEXT NOT NULL,
    reader_org      TEXT,
    reader_user     TEXT,
    at_us           BIGINT NOT NULL,
    what            TEXT NOT NULL
);
CREATE INDEX record_reads_record ON record_reads (record_id, id);
