-- The feed a feed-level alert (`feed_silent`) is about, so it is shown and its repeats merge
-- across restarts; NULL for vessel alerts.
ALTER TABLE alerts ADD COLUMN feed TEXT;
