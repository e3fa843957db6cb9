-- Projections of the live picture's shared records (rebuilt from the log), and the local
-- persistence of vessel tracks (not in the log: AIS volume is far beyond what a signed log
-- should carry, and tracks are re-derived from the feeds).
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    owner_org       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_reason   TEXT,
    mmsi            BIGINT NOT NULL,
    mmsi_2          BIGINT,
    zone            TEXT,
    start_s         BIGINT NOT NULL,
    end_s           BIGINT NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    detail          TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    occurrences     BIGINT NOT NULL,
    releasability   TEXT NOT NULL,
    raised_at_us    BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL
);
CREATE INDEX alerts_mmsi ON alerts (mmsi);
CREATE INDEX alerts_kind ON alerts (kind, id);
CREATE INDEX alerts_status ON alerts (status, id);

CREATE TABLE zones (
    id              TEXT PRIMARY KEY,
    owner_org       TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    feature         TEXT NOT NULL,
    releasability   TEXT NOT NULL,
    defined_at_us   BIGINT NOT NULL
);

CREATE TABLE watchlist_entries (
    id              TEXT PRIMARY KEY,
    owner_org       TEXT NOT NULL,
    mmsi            BIGINT,
    imo             BIGINT,
    name            TEXT,
    callsign        TEXT,
    reason          TEXT NOT NULL,
    releasability   TEXT NOT NULL,
    added_at_us     BIGINT NOT NULL
);

CREATE TABLE vessel_tracks (
    mmsi            BIGINT PRIMARY KEY,
    track           TEXT NOT NULL,
    saved_at_us     BIGINT NOT NULL
);
