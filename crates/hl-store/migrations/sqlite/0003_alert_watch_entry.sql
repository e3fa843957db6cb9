-- The watch-list entry a watch-list hit belongs to: part of the key that merges repeats, so a
-- repeat never crosses entries (and so owners and audiences), also after a restart.
ALTER TABLE alerts ADD COLUMN watch_entry TEXT;
