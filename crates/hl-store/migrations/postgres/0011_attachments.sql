-- Attachments (evidence) by SHA-256: the content, stored once however many records name it.
-- The events that attach it carry its hash (signed), so a changed blob is detected (`verify`,
-- and every download checks it). Local content, not part of the log; not rebuilt from it.
CREATE TABLE attachments (
    sha256          TEXT PRIMARY KEY,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    content         BYTEA NOT NULL,
    stored_at_us    BIGINT NOT NULL
);
