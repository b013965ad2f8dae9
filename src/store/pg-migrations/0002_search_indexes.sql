-- 0002_search_indexes.sql (PostgreSQL) -- as SQLite's: one token index (param, code_hash,
-- value_hash) for `code`, `|code` and `system|code`; references searched by (param, ref_id).
SELECT yl_drop_index('idx_token_value');
SELECT yl_drop_index('idx_token_code');
SELECT yl_index('idx_token_code_value', 'idx_token', 'param, code_hash, value_hash');
SELECT yl_drop_index('idx_reference_to');
