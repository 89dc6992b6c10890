-- table_row_counts.sql: the exact row count of every table outside the system schemas,
-- one row per table (query_to_xml runs one count(*) per table inside this statement).
SELECT n.nspname AS schema_name, c.relname AS table_name,
       (xpath('/row/count/text()', query_to_xml(
          format('SELECT count(*) AS count FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS row_count
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_%'
ORDER BY 1, 2
