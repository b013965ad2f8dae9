-- 0009_date_buckets.sql -- how many date index rows start (side 0: lo) and end (side 1: hi)
-- in each 2^38 µs (about 3.2-day) span, per parameter, kept by triggers on idx_date. A count
-- of a one-sided date search on a single-valued parameter (Patient?birthdate=le1961-01-01
-- &_summary=count: 322,514 of 1M Patients) sums the spans before the boundary (at most a
-- few thousand rows of this table) and counts only the index rows of the boundary span,
-- instead of every matching index row (29 ms of CPU per request, 591 ms p99 at 16
-- connections). SQLite's >> is an arithmetic shift: spans of dates before 1970 floor too.
CREATE TABLE IF NOT EXISTS idx_date_bucket (
    param INTEGER NOT NULL, side INTEGER NOT NULL, b INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (param, side, b)
) WITHOUT ROWID;
INSERT INTO idx_date_bucket (param, side, b, n)
    SELECT param, 0, lo >> 38, count(*) FROM idx_date GROUP BY param, lo >> 38;
INSERT INTO idx_date_bucket (param, side, b, n)
    SELECT param, 1, hi >> 38, count(*) FROM idx_date GROUP BY param, hi >> 38;
CREATE TRIGGER idx_date_bucket_add AFTER INSERT ON idx_date BEGIN
    INSERT INTO idx_date_bucket (param, side, b, n) VALUES (NEW.param, 0, NEW.lo >> 38, 1)
        ON CONFLICT (param, side, b) DO UPDATE SET n = n + 1;
    INSERT INTO idx_date_bucket (param, side, b, n) VALUES (NEW.param, 1, NEW.hi >> 38, 1)
        ON CONFLICT (param, side, b) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER idx_date_bucket_drop AFTER DELETE ON idx_date BEGIN
    UPDATE idx_date_bucket SET n = n - 1 WHERE param = OLD.param AND side = 0 AND b = OLD.lo >> 38;
    UPDATE idx_date_bucket SET n = n - 1 WHERE param = OLD.param AND side = 1 AND b = OLD.hi >> 38;
END;
