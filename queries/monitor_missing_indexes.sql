-- monitor_missing_indexes.sql
-- What:  the indexes emailai-schema.md expects on the new tables and columns that are
--        missing (dropped after the deploy, or never built), each with the exact
--        statement that builds it without blocking writes. An INVALID index counts as
--        missing (the planner ignores it): drop it concurrently first.
-- Read-only. Locks: none beyond catalog reads.
-- $1, $2, $3: the expected indexes' tables, names and CREATE statements, read by the
--        runner from the sql/ steps that build them (lib/schema-objects.ts,
--        expectedIndexes): each index is named in one SQL file only.
WITH expected (table_name, index_name, create_statement) AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
)
SELECT e.table_name,
       e.index_name,
       CASE WHEN i.indexrelid IS NULL THEN 'missing' ELSE 'invalid' END AS problem,
       CASE WHEN i.indexrelid IS NULL THEN e.create_statement
            ELSE format('DROP INDEX CONCURRENTLY IF EXISTS public.%I; %s', e.index_name, e.create_statement)
       END AS fix
FROM expected e
LEFT JOIN pg_class c ON c.relname = e.index_name
                    AND c.relnamespace = 'public'::regnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE i.indexrelid IS NULL
   OR NOT (i.indisvalid AND i.indisready)
ORDER BY e.table_name, e.index_name;
