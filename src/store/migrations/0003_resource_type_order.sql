-- 0003_resource_type_order.sql -- the rows of one type in row (creation) order. A search
-- whose every parameter is common (name=zha, gender=female) walks its type in this order
-- and stops after a page, instead of listing every match first; SQLite appends the rowid
-- to every index, so an index on (type) is ordered (type, rowid).
CREATE INDEX resource_type_row ON resource (type);
