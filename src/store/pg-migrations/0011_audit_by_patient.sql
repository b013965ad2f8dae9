-- 0011_audit_by_patient.sql (PostgreSQL) -- SQLite replaced its (patient, seq) index on the
-- trail with FTS5 postings, because each random B-tree insert dirtied a page of its own
-- WAL and checkpoint. PostgreSQL keeps the B-tree audit_patient (0010): its inserts go
-- through shared buffers and full-page images once per checkpoint, and a resident's
-- events are one range of it.
SELECT 1;
