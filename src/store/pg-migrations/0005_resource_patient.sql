-- 0005_resource_patient.sql (PostgreSQL) -- a patient's resources of one type
-- (compartment search, $everything). Only the partitioned table holds compartment rows,
-- and its key already begins with patient: this index adds the type.
CREATE INDEX resource_p_patient ON resource_p (patient, type, rowid);
