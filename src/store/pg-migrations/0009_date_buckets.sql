-- 0009_date_buckets.sql (PostgreSQL) -- SQLite keeps per-span counts of date index rows
-- (idx_date_bucket, kept by triggers) so a count of a one-sided date search sums spans
-- instead of index rows. PostgreSQL counts those rows with an index-only scan on
-- (param, lo) / (param, hi), in parallel, and every trigger row would be one more hot row
-- updated by every write on every node: no buckets here.
SELECT 1;
