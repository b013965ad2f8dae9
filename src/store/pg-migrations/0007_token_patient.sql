-- 0007_token_patient.sql (PostgreSQL) -- token lookups within one patient's records
-- (subject=Patient/X&code=system|code): the token index gains the patient as its last
-- column, as in SQLite.
SELECT yl_drop_index('idx_token_code_value');
SELECT yl_index('idx_token_code_value', 'idx_token', 'param, code_hash, value_hash, patient');
