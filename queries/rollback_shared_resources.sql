-- rollback_shared_resources.sql
-- What:  per resource table, the rows the new app shared ("isShared" = true; the
--        migration never sets it), which `rollback --schema` would drop with the
--        column (rollback/210-213). Tables without the column count 0.
-- Read-only. Locks: ACCESS SHARE on "Rule", "Group", "Knowledge", "Category".
SELECT t.name AS resource,
       CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = format('public.%I', t.name)::regclass
                           AND a.attname = 'isShared' AND NOT a.attisdropped)
            THEN (xpath('/row/n/text()', query_to_xml(
                    format('SELECT count(*) AS n FROM public.%I WHERE "isShared"', t.name), false, true, '')))[1]::text::bigint
            ELSE 0 END AS shared
FROM (VALUES ('Rule'), ('Group'), ('Knowledge'), ('Category')) AS t(name);
