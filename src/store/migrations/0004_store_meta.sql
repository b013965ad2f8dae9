-- 0004_store_meta.sql -- facts about the store itself, such as which search-parameter table
-- and extractor built the index rows (key "index_fingerprint"), so a server started with
-- another table can tell the operator to run `yilian reindex`.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
