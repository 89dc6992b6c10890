-- Check: indexes that are INVALID, not ready or not live on the tables the migration touches.
-- Why: a failed CREATE INDEX CONCURRENTLY leaves an INVALID index. The planner never uses it (slow
--      organization and inbox lookups) while writes may still maintain it, and an invalid unique index
--      guarantees nothing the app relies on.
-- Replaces: (new, not in the runbook)
-- severity: error
-- Next: {fix}
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT t.relname                              AS table_name,
       c.relname                              AS index_name,
       i.indisvalid                           AS is_valid,
       i.indisready                           AS is_ready,
       i.indislive                            AS is_live,
       pg_get_indexdef(i.indexrelid)          AS index_definition,
       CASE WHEN c.relname ~ '_cc(new|old)[0-9]*$'
            THEN 'DROP INDEX CONCURRENTLY public.' || quote_ident(c.relname)
                 || ' (leftover of a failed REINDEX CONCURRENTLY)'
            -- The package's own: on its tables, on a column it added, or named after it
            -- (their names are in the sql/ steps that build them, only there).
            WHEN t.relname IN ('Organization', 'OrganizationMember')
                 OR c.relname LIKE 'emailai\_migration\_%'
                 OR EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
                              AND a.attname IN ('organizationId', 'createdBy', 'isShared'))
            THEN 'DROP INDEX CONCURRENTLY public.' || quote_ident(c.relname)
                 || ', then run the schema phase again (it rebuilds it)'
            ELSE 'REINDEX INDEX CONCURRENTLY public.' || quote_ident(c.relname)
       END                                    AS fix
FROM pg_index i
JOIN pg_class c     ON c.oid = i.indexrelid
JOIN pg_class t     ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public'
  AND t.relname IN ('Organization', 'OrganizationMember', 'EmailAccount', 'Premium',
                    'Rule', 'Group', 'Knowledge', 'Category', 'User')
  AND (NOT i.indisvalid OR NOT i.indisready OR NOT i.indislive)
ORDER BY t.relname, c.relname;
