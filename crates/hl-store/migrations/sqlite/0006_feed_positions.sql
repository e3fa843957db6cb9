-- How far each file feed has been replayed, so a restart resumes instead of replaying (and
-- alerting) again: the file's identity (its path and a digest of its first bytes) and the byte
-- offset after the last line the engine processed. Local state, never in the log.
CREATE TABLE feed_positions (
    feed            TEXT PRIMARY KEY,
    identity        TEXT NOT NULL,
    byte_offset     BIGINT NOT NULL,
    saved_at_us     BIGINT NOT NULL
);
