-- 0011_audit_by_patient.sql -- a resident's events ("who opened my record", GET
-- /fhir/AuditEvent?patient=) found through postings instead of the B-tree index
-- audit_patient (patient, seq). Events name residents in no order, so once the index was
-- larger than a batch of the audit writer (20 ms of reads) nearly every event dirtied a
-- page of its own: ~1.2 pages of WAL and checkpoint per read against ~0.26 for the event
-- itself, and a third of an audited read's extra CPU. audit_by_patient is an FTS5 table
-- used as an inverted list: one token per event, the hex of its patient id (hex: the
-- tokenizer folds case, ids do not), rowid = seq; no content, no positions, no column
-- sizes. A commit that appended events adds them in one go (store/sqlite-auth.c
-- yl_sqlite_audit_index: a sorted segment per transaction, merged by FTS5 as the trail
-- grows), for the events after store_meta's "audit_by_patient" (the last seq indexed).
-- The trail itself (audit, its chain and triggers) is unchanged.
DROP INDEX IF EXISTS audit_patient;
CREATE VIRTUAL TABLE audit_by_patient USING fts5(
    patient, content = '', detail = none, columnsize = 0, tokenize = 'ascii'
);
INSERT INTO audit_by_patient (rowid, patient)
    SELECT seq, hex(patient) FROM audit WHERE patient IS NOT NULL ORDER BY seq;
INSERT INTO store_meta (key, value)
    VALUES ('audit_by_patient', (SELECT coalesce(max(seq), 0) FROM audit));
