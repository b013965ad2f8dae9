-- 0003_resource_type_order.sql (PostgreSQL) -- the rows of one type in row (creation)
-- order, for searches that walk a type and stop after a page.
CREATE INDEX resource_p_type_row ON resource_p (type, rowid);
CREATE INDEX resource_r_type_row ON resource_r (type, rowid);
