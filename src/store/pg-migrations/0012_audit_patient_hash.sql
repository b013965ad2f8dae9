-- 0012_audit_patient_hash.sql (PostgreSQL) -- a resident's events are found through a hash
-- index on patient instead of the B-tree (patient, seq) of 0010. Events name residents in
-- no order, so each read's event descended the B-tree to a random leaf and dirtied it;
-- measured on a trail of 13.5 million events with reads by id at ~20,000/s, the B-tree cost
-- PostgreSQL 35-38 us of CPU a read against 30-31 with the hash index and 28-31 with none
-- (docs/benchmarks.md). A resident's listing (GET /fhir/AuditEvent?patient=) reads that
-- resident's events through the hash index and orders the page itself
-- (store/pg-auth.c).
DROP INDEX IF EXISTS audit_patient;
CREATE INDEX audit_patient ON audit USING hash (patient) WHERE patient IS NOT NULL;
