-- The visibility index (see hl_policy::Audience): for each record and event, the audiences it
-- is released to. A listing reads, per audience of the caller, a keyset range of this index, so
-- its cost does not grow with the rows the caller may not see. Derived from the log like every
-- projection; filled by `rebuild` (and at first open of a database that predates it).
CREATE TABLE record_audiences (
    list        TEXT NOT NULL,
    audience    TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (list, audience, record_id)
);
CREATE INDEX record_audiences_record ON record_audiences (record_id);

CREATE TABLE event_audiences (
    audience    TEXT NOT NULL,
    pos         INTEGER NOT NULL,
    PRIMARY KEY (audience, pos)
);
