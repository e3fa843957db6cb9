-- Who handled an alert, when, how and why: each accepted status change in order, as a JSON
-- array of {"status", "by" (user id), "at_us", "reason"}. Status only moves forward (new, then
-- acknowledged, then dismissed or escalated); the projection ignores a change that would move
-- it back, so a replay of the log gives the same alerts.
ALTER TABLE alerts ADD COLUMN handling TEXT NOT NULL DEFAULT '[]';
