-- The shared record layer (hl_node::records): one projection for every record type built on
-- it (incidents first). The generic columns and facets serve listings and filters; `doc` is
-- the type's own state as JSON. Derived from the log (`Change::Record`) like every projection.
CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    owner_org       TEXT NOT NULL,
    releasability   TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    created_at_us   INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL,
    class           TEXT,
    severity        INTEGER,
    status          TEXT,
    at_s            INTEGER,
    lat             REAL,
    lon             REAL,
    doc             TEXT NOT NULL
);
CREATE INDEX records_kind ON records (kind, id);

-- The vessels a record names (for the MMSI filter).
CREATE TABLE record_vessels (
    record_id       TEXT NOT NULL,
    mmsi            INTEGER NOT NULL,
    PRIMARY KEY (record_id, mmsi)
);
CREATE INDEX record_vessels_mmsi ON record_vessels (mmsi);
