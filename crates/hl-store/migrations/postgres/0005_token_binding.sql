-- Each stored token hash bound to its token id with a MAC under a key derived from the node key
-- (see hl_node's token binding): a hash replaced by hand no longer matches and is refused at
-- login and reported by `verify`. Rows from before are bound at the next start of the node.
ALTER TABLE token_secrets ADD COLUMN binding TEXT;
