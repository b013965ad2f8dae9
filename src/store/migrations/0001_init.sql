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
CREATE INDEX resource_patient ON resource (patient) WHERE patient IS NOT NULL;

CREATE TABLE history (
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    patient      TEXT,
    body         TEXT,
    PRIMARY KEY (type, id, version)
);

-- The change log. seq is the commit time in microseconds, made strictly increasing by the
-- store (max(clock, last seq + 1)), so one integer is both the monotonic sequence and the
-- resource's meta.lastUpdated, and `_since` is a range on the primary key.
CREATE TABLE changelog (
    seq          INTEGER PRIMARY KEY,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    op           TEXT    NOT NULL,   -- create | update | delete
    patient      TEXT
);
CREATE INDEX changelog_type ON changelog (type, seq);

-- Typed search indexes. param_hash = hash(type, param); value_hash = hash(type, param,
-- normalised value) so common lookups are integer equality (HAPI FHIR's trick); raw
-- values kept beside them for ranges, modifiers and :text.
CREATE TABLE idx_token (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, value_hash INTEGER NOT NULL, code_hash INTEGER NOT NULL,
    system TEXT, code TEXT, text TEXT
);
CREATE INDEX idx_token_value ON idx_token (value_hash);
CREATE INDEX idx_token_code ON idx_token (code_hash);
CREATE INDEX idx_token_res ON idx_token (type, id);

CREATE TABLE idx_string (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL
);
CREATE INDEX idx_string_norm ON idx_string (param_hash, norm);
CREATE INDEX idx_string_res ON idx_string (type, id);

CREATE TABLE idx_date (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL
);
CREATE INDEX idx_date_lo ON idx_date (param_hash, lo);
CREATE INDEX idx_date_res ON idx_date (type, id);

CREATE TABLE idx_number (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL
);
CREATE INDEX idx_number_lo ON idx_number (param_hash, lo);
CREATE INDEX idx_number_res ON idx_number (type, id);

CREATE TABLE idx_quantity (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, system TEXT, code TEXT, lo REAL NOT NULL, hi REAL NOT NULL
);
CREATE INDEX idx_quantity_lo ON idx_quantity (param_hash, lo);
CREATE INDEX idx_quantity_res ON idx_quantity (type, id);

CREATE TABLE idx_reference (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, target_type TEXT, target_id TEXT, url TEXT
);
CREATE INDEX idx_reference_target ON idx_reference (param_hash, target_id);
CREATE INDEX idx_reference_res ON idx_reference (type, id);

CREATE TABLE idx_uri (
    type TEXT NOT NULL, id TEXT NOT NULL, patient TEXT,
    param_hash INTEGER NOT NULL, uri TEXT NOT NULL
);
CREATE INDEX idx_uri_value ON idx_uri (param_hash, uri);
CREATE INDEX idx_uri_res ON idx_uri (type, id);
