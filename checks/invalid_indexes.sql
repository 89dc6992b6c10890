-- Check: indexes that are INVALID, not ready or not live on the tables the migration touches.
-- Why: a failed CREATE INDEX CONCURRENTLY leaves an INVALID index. The planner never uses it (slow
--      organization and inbox lookups) while writes may still maintain it, and an invalid unique index
--      guarantees nothing the app relies on.
-- Replaces: (new, not in the runbook)
-- severity: error
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
            WHEN c.relname IN (
                   'Organization_slug_key', 'Organization_domain_key', 'Organization_slug_idx',
                   'OrganizationMember_userId_organizationId_key', 'OrganizationMember_organizationId_idx',
                   'OrganizationMember_userId_idx', 'EmailAccount_organizationId_idx',
                   'Rule_emailAccountId_isShared_idx', 'Rule_createdBy_idx',
                   'Group_emailAccountId_isShared_idx', 'Group_createdBy_idx',
                   'Knowledge_emailAccountId_isShared_idx', 'Knowledge_createdBy_idx',
                   'Category_emailAccountId_isShared_idx', 'Category_createdBy_idx')
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
