-- 0004_store_meta.sql (PostgreSQL) -- facts about the store itself (SQLite's 0004): one
-- small unpartitioned table (a Citus reference table).
CREATE TABLE store_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
