-- cleanup_inventory.sql
-- What:  every object of the package that cleanup removes: the window triggers
--        (emailai_migration_* on the app's tables), the functions and tables of schema
--        emailai_migration, and the schema itself. Empty after a cleanup.
--        public.migration_log is not listed: it is the record and stays.
-- Read-only. Locks: none.
SELECT 'trigger' AS object_type,
       format('%I ON %s', tg.tgname, tg.tgrelid::regclass) AS object_name
FROM pg_trigger tg
WHERE NOT tg.tgisinternal
  AND (tg.tgname LIKE 'emailai\_migration\_%'
       OR tg.tgfoid IN (SELECT p.oid FROM pg_proc p
                         WHERE p.pronamespace = to_regnamespace('emailai_migration')))
UNION ALL
SELECT 'function', p.oid::regprocedure::text
FROM pg_proc p
WHERE p.pronamespace = to_regnamespace('emailai_migration')
UNION ALL
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'relation' END,
       c.oid::regclass::text
FROM pg_class c
WHERE c.relnamespace = to_regnamespace('emailai_migration')
  AND c.relkind IN ('r', 'S', 'v', 'm', 'p')
UNION ALL
SELECT 'schema', n.nspname::text
FROM pg_namespace n
WHERE n.nspname = 'emailai_migration'
ORDER BY 1, 2;
