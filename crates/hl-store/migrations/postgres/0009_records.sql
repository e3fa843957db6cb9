-- The shared record layer (hl_node::records): one projection for every record type built on
-- it (incidents first). The generic columns and facets serve listings and filters; `doc` is
-- the type's own state as JSON. Derived from the log (`Change::Record`) like every projection.
CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    owner_org       TEXT NOT NULL,
    releasability   TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL,
    class           TEXT,
    severity        BIGINT,
    status          TEXT,
    at_s            BIGINT,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    doc             TEXT NOT NULL
);
CREATE INDEX records_kind ON records (kind, id);

-- The vessels a record names (for the MMSI filter).
CREATE TABLE record_vessels (
    record_id       TEXT NOT NULL,
    mmsi            BIGINT NOT NULL,
    PRIMARY KEY (record_id, mmsi)
);
CREATE INDEX record_vessels_mmsi ON record_vessels (mmsi);
