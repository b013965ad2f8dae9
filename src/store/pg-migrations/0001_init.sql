-- 0001_init.sql (PostgreSQL) -- resources, history, change log and typed search indexes:
-- the schema of SQLite's 0001, laid out to distribute.
--
-- Every table of patient data comes twice, with a view over both that the queries read:
--   NAME_p  rows in some patient's compartment (patient NOT NULL), hash-partitioned by
--           patient with native declarative partitioning; every primary key includes
--           patient, so a distributed PostgreSQL (Citus) can shard it by patient,
--           co-located, without redesign (docs/operations.md);
--   NAME_r  rows in no patient's compartment (Organization, Practitioner, terminology,
--           measures, shared records): one unpartitioned table, a Citus reference table;
--   NAME    the view: NAME_p UNION ALL NAME_r (the planner prunes and pushes conditions
--           into both). Writes go to NAME_p or NAME_r by the row's patient (store/pg.c).
-- The number of partitions is the setting yilian.partitions when the store is made
-- (`yilian serve --db postgresql://... --partitions N`; default 8), then fixed.
-- Text compares byte-wise (COLLATE "C"), as in SQLite: the same sort orders, and prefix
-- ranges on the B-trees whatever the database's locale.
-- Times are UTC microseconds since the epoch. Bodies are store/body.h's packed bytes.

-- Partitions of a hash-partitioned table: as many as resource_p has, or, for resource_p
-- itself, as the setting yilian.partitions says.
CREATE FUNCTION yl_partition(parent text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    SELECT count(*) INTO n FROM pg_inherits WHERE inhparent = to_regclass('resource_p');
    IF n = 0 THEN
        n := coalesce(nullif(current_setting('yilian.partitions', true), '')::int, 8);
    END IF;
    IF n < 1 OR n > 1024 THEN
        RAISE EXCEPTION 'yilian.partitions must be between 1 and 1024, not %', n;
    END IF;
    FOR i IN 0 .. n - 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       parent || '_' || i, parent, n, i);
    END LOOP;
END $$;

-- The resource row (rowid) is the search indexes' key and the order of first creation, for
-- both tables, from one sequence; it stays with the resource when its patient changes.
CREATE SEQUENCE resource_rowid;

CREATE TABLE resource_p (
    rowid        bigint  NOT NULL,
    type         text    COLLATE "C" NOT NULL,
    id           text    COLLATE "C" NOT NULL,
    version      bigint  NOT NULL,
    last_updated bigint  NOT NULL,
    deleted      int     NOT NULL DEFAULT 0,
    patient      text    COLLATE "C" NOT NULL,
    body         bytea,
    PRIMARY KEY (rowid, patient)
) PARTITION BY HASH (patient);
SELECT yl_partition('resource_p');
-- a read by id that does not know the patient probes each partition's (type, id); ids are
-- unique across both tables because every write takes the change-log lock and looks first
CREATE INDEX resource_p_id ON resource_p (type, id);

CREATE TABLE resource_r (
    rowid        bigint  PRIMARY KEY,
    type         text    COLLATE "C" NOT NULL,
    id           text    COLLATE "C" NOT NULL,
    version      bigint  NOT NULL,
    last_updated bigint  NOT NULL,
    deleted      int     NOT NULL DEFAULT 0,
    patient      text    COLLATE "C" CHECK (patient IS NULL),
    body         bytea,
    UNIQUE (type, id)
);

CREATE VIEW resource AS
    SELECT rowid, type, id, version, last_updated, deleted, patient, body FROM resource_p
    UNION ALL
    SELECT rowid, type, id, version, last_updated, deleted, patient, body FROM resource_r;

-- Every version, tombstones included, in commit order: the change log. seq is the commit
-- time in microseconds, strictly increasing across every node (store/pg.c takes one
-- transaction-level lock to assign it, so commit order is seq order).
CREATE TABLE history_p (
    seq     bigint NOT NULL,
    type    text   COLLATE "C" NOT NULL,
    id      text   COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    op      text   NOT NULL,
    patient text   COLLATE "C" NOT NULL,
    body    bytea,
    PRIMARY KEY (seq, patient)
) PARTITION BY HASH (patient);
SELECT yl_partition('history_p');
CREATE INDEX history_p_version ON history_p (type, id, version);
CREATE INDEX history_p_type ON history_p (type, seq);

CREATE TABLE history_r (
    seq     bigint PRIMARY KEY,
    type    text   COLLATE "C" NOT NULL,
    id      text   COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    op      text   NOT NULL,
    patient text   COLLATE "C" CHECK (patient IS NULL),
    body    bytea
);
CREATE UNIQUE INDEX history_r_version ON history_r (type, id, version);
CREATE INDEX history_r_type ON history_r (type, seq);

CREATE VIEW history AS
    SELECT seq, type, id, version, op, patient, body FROM history_p
    UNION ALL
    SELECT seq, type, id, version, op, patient, body FROM history_r;

-- Typed search indexes (SQLite's 0001), keyed by the resource row; NULL-able values inside
-- primary keys are stored as ''. Primary keys lead with the resource row (a resource's rows
-- are one range: found per row by a search, deleted together, appended by a load) and end
-- with the patient, the partition key.
CREATE TABLE idx_token_p (
    res bigint NOT NULL, param bigint NOT NULL,
    value_hash bigint NOT NULL, code_hash bigint NOT NULL, type_hash bigint NOT NULL,
    system text COLLATE "C", code text COLLATE "C", text text COLLATE "C",
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, value_hash, type_hash, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_token_r (
    res bigint NOT NULL, param bigint NOT NULL,
    value_hash bigint NOT NULL, code_hash bigint NOT NULL, type_hash bigint NOT NULL,
    system text COLLATE "C", code text COLLATE "C", text text COLLATE "C",
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, value_hash, type_hash)
);

CREATE TABLE idx_string_p (
    res bigint NOT NULL, param bigint NOT NULL,
    norm text COLLATE "C" NOT NULL, exact text COLLATE "C" NOT NULL,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, exact, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_string_r (
    res bigint NOT NULL, param bigint NOT NULL,
    norm text COLLATE "C" NOT NULL, exact text COLLATE "C" NOT NULL,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, exact)
);

CREATE TABLE idx_date_p (
    res bigint NOT NULL, param bigint NOT NULL, lo bigint NOT NULL, hi bigint NOT NULL,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, lo, hi, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_date_r (
    res bigint NOT NULL, param bigint NOT NULL, lo bigint NOT NULL, hi bigint NOT NULL,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, lo, hi)
);

CREATE TABLE idx_number_p (
    res bigint NOT NULL, param bigint NOT NULL, lo float8 NOT NULL, hi float8 NOT NULL,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, lo, hi, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_number_r (
    res bigint NOT NULL, param bigint NOT NULL, lo float8 NOT NULL, hi float8 NOT NULL,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, lo, hi)
);

CREATE TABLE idx_quantity_p (
    res bigint NOT NULL, param bigint NOT NULL, lo float8 NOT NULL, hi float8 NOT NULL,
    unit_system text COLLATE "C" NOT NULL, unit_code text COLLATE "C" NOT NULL,
    canon_code text COLLATE "C", canon_lo float8, canon_hi float8,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, lo, hi, unit_system, unit_code, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_quantity_r (
    res bigint NOT NULL, param bigint NOT NULL, lo float8 NOT NULL, hi float8 NOT NULL,
    unit_system text COLLATE "C" NOT NULL, unit_code text COLLATE "C" NOT NULL,
    canon_code text COLLATE "C", canon_lo float8, canon_hi float8,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, lo, hi, unit_system, unit_code)
);

CREATE TABLE idx_reference_p (
    res bigint NOT NULL, param bigint NOT NULL,
    ref_type text COLLATE "C", ref_id text COLLATE "C", url text COLLATE "C" NOT NULL,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, url, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_reference_r (
    res bigint NOT NULL, param bigint NOT NULL,
    ref_type text COLLATE "C", ref_id text COLLATE "C", url text COLLATE "C" NOT NULL,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, url)
);

CREATE TABLE idx_uri_p (
    res bigint NOT NULL, param bigint NOT NULL, uri text COLLATE "C" NOT NULL,
    patient text COLLATE "C" NOT NULL,
    PRIMARY KEY (res, param, uri, patient)
) PARTITION BY HASH (patient);
CREATE TABLE idx_uri_r (
    res bigint NOT NULL, param bigint NOT NULL, uri text COLLATE "C" NOT NULL,
    patient text COLLATE "C" CHECK (patient IS NULL),
    PRIMARY KEY (res, param, uri)
);

-- composites have no natural key (SQLite's has none either)
CREATE TABLE idx_composite_p (
    res bigint NOT NULL, param bigint NOT NULL,
    value_hash bigint NOT NULL, code_hash bigint NOT NULL,
    comp_kind int NOT NULL, comp_value_hash bigint, comp_code_hash bigint,
    lo float8, hi float8, unit_code text COLLATE "C", canon_code text COLLATE "C",
    canon_lo float8, canon_hi float8, date_lo bigint, date_hi bigint, norm text COLLATE "C",
    patient text COLLATE "C" NOT NULL
) PARTITION BY HASH (patient);
CREATE TABLE idx_composite_r (
    res bigint NOT NULL, param bigint NOT NULL,
    value_hash bigint NOT NULL, code_hash bigint NOT NULL,
    comp_kind int NOT NULL, comp_value_hash bigint, comp_code_hash bigint,
    lo float8, hi float8, unit_code text COLLATE "C", canon_code text COLLATE "C",
    canon_lo float8, canon_hi float8, date_lo bigint, date_hi bigint, norm text COLLATE "C",
    patient text COLLATE "C" CHECK (patient IS NULL)
);

SELECT yl_partition(t || '_p')
FROM unnest(ARRAY['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity',
                  'idx_reference', 'idx_uri', 'idx_composite']) AS t;

-- the views, and SQLite's 0001 secondary indexes on both tables of each
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['idx_token', 'idx_string', 'idx_date', 'idx_number',
                             'idx_quantity', 'idx_reference', 'idx_uri', 'idx_composite'] LOOP
        EXECUTE format('CREATE VIEW %I AS SELECT * FROM %I UNION ALL SELECT * FROM %I',
                       t, t || '_p', t || '_r');
    END LOOP;
END $$;

CREATE FUNCTION yl_index(name text, tab text, cols text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE INDEX %I ON %I (%s)', name || '_p', tab || '_p', cols);
    EXECUTE format('CREATE INDEX %I ON %I (%s)', name || '_r', tab || '_r', cols);
END $$;
CREATE FUNCTION yl_drop_index(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP INDEX IF EXISTS %I', name || '_p');
    EXECUTE format('DROP INDEX IF EXISTS %I', name || '_r');
END $$;

SELECT yl_index('idx_token_value', 'idx_token', 'param, value_hash');
SELECT yl_index('idx_token_code', 'idx_token', 'param, code_hash');
SELECT yl_index('idx_string_norm', 'idx_string', 'param, norm');
SELECT yl_index('idx_date_lo', 'idx_date', 'param, lo');
SELECT yl_index('idx_date_hi', 'idx_date', 'param, hi');
SELECT yl_index('idx_number_lo', 'idx_number', 'param, lo');
SELECT yl_index('idx_quantity_value', 'idx_quantity', 'param, unit_code, lo');
SELECT yl_index('idx_quantity_canon', 'idx_quantity', 'param, canon_code, canon_lo');
SELECT yl_index('idx_reference_target', 'idx_reference', 'param, ref_id');
SELECT yl_index('idx_reference_to', 'idx_reference', 'ref_type, ref_id');
SELECT yl_index('idx_uri_value', 'idx_uri', 'param, uri');
SELECT yl_index('idx_composite_value', 'idx_composite', 'param, value_hash');
SELECT yl_index('idx_composite_res', 'idx_composite', 'res');
