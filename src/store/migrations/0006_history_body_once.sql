-- 0006_history_body_once.sql -- every body stored once: the current version's body lives
-- only in resource; its history row keeps NULL until a newer version (or a delete) is
-- written, when the store copies the outgoing body into it. The bodies were half of the
-- store. Space freed here is reused by later writes; `VACUUM` returns it to the disk.
UPDATE history SET body = NULL
WHERE body IS NOT NULL
  AND EXISTS (SELECT 1 FROM resource r
              WHERE r.type = history.type AND r.id = history.id
                AND r.version = history.version AND r.deleted = 0);
