-- 0008_string_walk.sql (PostgreSQL) -- the rows of one string parameter in resource-row
-- order with the folded value in the index, as in SQLite (a common name prefix walked in
-- row order instead of listing every match).
SELECT yl_index('idx_string_walk', 'idx_string', 'param, res, norm');
