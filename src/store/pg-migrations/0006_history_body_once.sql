-- 0006_history_body_once.sql (PostgreSQL) -- every body stored once: the current
-- version's body lives only in resource, its history row keeps NULL until a newer version
-- is written (store/pg.c copies the outgoing body then). PostgreSQL stores were made that
-- way from the start: nothing to move.
SELECT 1;
