-- 0008_string_walk.sql -- the rows of one string parameter in resource-row order, with the
-- folded value in the index. A search by a common name prefix (name=wan: 9% of Patients)
-- cuts its first page by walking only the names, in row order, testing the prefix inside
-- the index (about 20/share entries), instead of listing every match to sort it (92,000
-- entries for wan) or probing the string table once per Patient walked. Measured on 1M
-- Patients: a first page for a prefix of 2% of them, 4.1 ms listed, 0.6 ms walked. One
-- more B-tree per string row written (about 0.8 GB at 1M Patients).
CREATE INDEX IF NOT EXISTS idx_string_walk ON idx_string (param, res, norm);
