-- 0001_init.sql -- resources, history, change log and typed search indexes.
-- Every patient-owned row carries `patient` (the patient-compartment id): the shard key.
-- Times are UTC microseconds since the epoch. Kept to SQL both SQLite and PostgreSQL run.

CREATE TABLE resource (
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    patient      TEXT,
    body         TEXT,
    PRIMARY KEY (type, id)
);
-- No index on `patient` yet: compartment queries will go through the search-index tables,
-- which carry it too; every extra B-tree is one more page written per create.

-- Every version, tombstones included, in commit order: this table is also the change log.
-- seq is the commit time in microseconds, made strictly increasing by the store
-- (max(clock, last seq + 1)), so one integer is the monotonic change-log sequence, the
-- version's meta.lastUpdated, and `_since` is a range on the primary key.
CREATE TABLE history (
    seq          INTEGER PRIMARY KEY,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    op           TEXT    NOT NULL,   -- create | update | delete
    patient      TEXT,
    body         TEXT                -- NULL for a delete
);
CREATE UNIQUE INDEX history_version ON history (type, id, version);
CREATE INDEX history_type ON history (type, seq);

-- Typed search indexes, one table per parameter type, filled from the generated search-
-- parameter table at write time (fhir/extract.c). Rows are keyed by the resource row
-- (`res` = resource.rowid, stable for the life of the resource) so deleting a resource's
-- rows on update is a range on the primary key; `param` = hash(type, parameter code) and
-- the value hashes make the common lookups integer equality (HAPI FHIR's trick), with the
-- raw values beside them for ranges, modifiers and :text. Duplicate rows of one resource
-- are dropped (INSERT OR IGNORE). NULL-able values are stored as '' inside primary keys.
CREATE TABLE idx_token (
    res INTEGER NOT NULL, param INTEGER NOT NULL,
    value_hash INTEGER NOT NULL, code_hash INTEGER NOT NULL, type_hash INTEGER NOT NULL,
    system TEXT, code TEXT, text TEXT, patient TEXT,
    PRIMARY KEY (res, param, value_hash, type_hash)
) WITHOUT ROWID;
CREATE INDEX idx_token_value ON idx_token (param, value_hash);
CREATE INDEX idx_token_code ON idx_token (param, code_hash);

CREATE TABLE idx_string (
    res INTEGER NOT NULL, param INTEGER NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL,
    patient TEXT,
    PRIMARY KEY (res, param, exact)
) WITHOUT ROWID;
CREATE INDEX idx_string_norm ON idx_string (param, norm);

CREATE TABLE idx_date (
    res INTEGER NOT NULL, param INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
    patient TEXT,
    PRIMARY KEY (res, param, lo, hi)
) WITHOUT ROWID;
CREATE INDEX idx_date_lo ON idx_date (param, lo);
CREATE INDEX idx_date_hi ON idx_date (param, hi);

CREATE TABLE idx_number (
    res INTEGER NOT NULL, param INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
    patient TEXT,
    PRIMARY KEY (res, param, lo, hi)
) WITHOUT ROWID;
CREATE INDEX idx_number_lo ON idx_number (param, lo);

CREATE TABLE idx_quantity (
    res INTEGER NOT NULL, param INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
    unit_system TEXT NOT NULL, unit_code TEXT NOT NULL,
    canon_code TEXT, canon_lo REAL, canon_hi REAL, patient TEXT,
    PRIMARY KEY (res, param, lo, hi, unit_system, unit_code)
) WITHOUT ROWID;
CREATE INDEX idx_quantity_value ON idx_quantity (param, unit_code, lo);
CREATE INDEX idx_quantity_canon ON idx_quantity (param, canon_code, canon_lo);

CREATE TABLE idx_reference (
    res INTEGER NOT NULL, param INTEGER NOT NULL,
    ref_type TEXT, ref_id TEXT, url TEXT NOT NULL, patient TEXT,
    PRIMARY KEY (res, param, url)
) WITHOUT ROWID;
CREATE INDEX idx_reference_target ON idx_reference (param, ref_id);
CREATE INDEX idx_reference_to ON idx_reference (ref_type, ref_id);

CREATE TABLE idx_uri (
    res INTEGER NOT NULL, param INTEGER NOT NULL, uri TEXT NOT NULL, patient TEXT,
    PRIMARY KEY (res, param, uri)
) WITHOUT ROWID;
CREATE INDEX idx_uri_value ON idx_uri (param, uri);

CREATE TABLE idx_composite (
    res INTEGER NOT NULL, param INTEGER NOT NULL,
    value_hash INTEGER NOT NULL, code_hash INTEGER NOT NULL,
    comp_kind INTEGER NOT NULL, comp_value_hash INTEGER, comp_code_hash INTEGER,
    lo REAL, hi REAL, unit_code TEXT, canon_code TEXT, canon_lo REAL, canon_hi REAL,
    date_lo INTEGER, date_hi INTEGER, norm TEXT, patient TEXT
);
CREATE INDEX idx_composite_value ON idx_composite (param, value_hash);
CREATE INDEX idx_composite_res ON idx_composite (res);

