-- 0007_token_patient.sql -- token lookups within one patient's records. The token index
-- gains the compartment patient as its last column: `code=system|code` still seeks
-- (param, code_hash, value_hash), and `subject=Patient/X&code=system|code` (a patient's
-- latest HbA1c) seeks all four and reads only that patient's rows, instead of testing every
-- one of the patient's resources (each a random page on a store larger than memory). The
-- same number of B-trees is written per create.
DROP INDEX idx_token_code_value;
CREATE INDEX idx_token_code_value ON idx_token (param, code_hash, value_hash, patient);
