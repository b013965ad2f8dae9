-- 0005_resource_patient.sql -- a patient's resources of one type, for compartment search
-- (GET /fhir/Patient/{id}/Observation) and, later, $everything. Partial: only the rows
-- in some patient's compartment pay for it on write.
CREATE INDEX resource_patient ON resource (patient, type) WHERE patient IS NOT NULL;
