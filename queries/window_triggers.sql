-- window_triggers.sql: the window triggers of sql/321-327 that are installed, per table.
SELECT c.relname AS table_name, t.tgname AS trigger_name,
       CASE t.tgenabled WHEN 'D' THEN 'disabled' ELSE 'enabled' END AS state
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgname LIKE 'emailai\_migration\_%' AND NOT t.tgisinternal
ORDER BY c.relname, t.tgname
