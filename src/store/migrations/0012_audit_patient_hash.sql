-- 0012_audit_patient_hash.sql -- PostgreSQL's step (its B-tree audit_patient becomes a
-- hash index); SQLite's postings of 0011 stay as they are.
SELECT 1;
