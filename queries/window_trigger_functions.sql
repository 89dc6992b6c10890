-- window_trigger_functions.sql: each trigger of the package on the app's tables and
-- its function: whether it runs as its owner (SECURITY DEFINER) with a pinned
-- search_path. One that does not runs with the rights of whoever writes the row,
-- and the app's roles have none on schema emailai_migration.
SELECT t.tgname AS trigger_name, c.relname AS table_name,
       p.oid::regprocedure::text AS function_name,
       p.prosecdef AS security_definer,
       coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) AS s(setting) WHERE s.setting LIKE 'search\_path=%'), false) AS search_path_pinned,
       pg_get_userbyid(p.proowner) AS function_owner
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'emailai_migration' AND NOT t.tgisinternal
  -- triggers on the app's tables: the registry's own fire only inside those functions
  AND c.relnamespace = 'public'::regnamespace
ORDER BY c.relname, t.tgname
