-- 0002_search_indexes.sql -- fewer B-trees per index row, now that every write fills the
-- search indexes: each secondary index is one more page written per create.
-- Tokens: one index (param, code_hash, value_hash) answers `code`, `|code` and
-- `system|code` (the search binds the code's hash too); `system|` scans the parameter.
DROP INDEX idx_token_value;
DROP INDEX idx_token_code;
CREATE INDEX idx_token_code_value ON idx_token (param, code_hash, value_hash);
-- References: searches always name the parameter; (param, ref_id) serves them and the
-- reverse lookups of _revinclude and _has.
DROP INDEX idx_reference_to;
