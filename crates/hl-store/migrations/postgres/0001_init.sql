-- The event log and the node registry are the source of truth; everything else is a projection
-- that `harborlink rebuild` can drop and replay, except token_secrets (local, never in the log).
CREATE TABLE nodes (
    node_id     TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    is_local    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE events (
    pos             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    origin          TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    author_org      TEXT NOT NULL,
    author_user     TEXT,
    recorded_at_us  BIGINT NOT NULL,
    record_type     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    releasability   TEXT NOT NULL,
    payload         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    signature       TEXT NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX events_record ON events (record_type, record_id);

CREATE TABLE chain_heads (
    origin  TEXT PRIMARY KEY,
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE organizations (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    nation            TEXT NOT NULL,
    registered_at_us  BIGINT NOT NULL
);

CREATE TABLE community_members (
    org_id     TEXT NOT NULL,
    community  TEXT NOT NULL,
    PRIMARY KEY (org_id, community)
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE tokens (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    label          TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    revoked_at_us  BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE token_secrets (
    token_id     TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE
);

CREATE TABLE advisories (
    id               TEXT PRIMARY KEY,
    owner_org        TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    severity         TEXT NOT NULL,
    releasability    TEXT NOT NULL,
    published_at_us  BIGINT NOT NULL,
    revised_at_us    BIGINT NOT NULL,
    revision         BIGINT NOT NULL
);
