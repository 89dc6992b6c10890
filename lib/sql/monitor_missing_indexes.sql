-- monitor_missing_indexes.sql
-- What:  the indexes emailai-schema.md expects on the new tables and columns that are
--        missing (dropped after the deploy, or never built), each with the exact
--        statement that builds it without blocking writes. An INVALID index counts as
--        missing (the planner ignores it): drop it concurrently first.
-- Read-only. Locks: none beyond catalog reads.
WITH expected (table_name, index_name, create_statement) AS (
  VALUES
  ('Organization',       'Organization_slug_key',                        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Organization_slug_key" ON "Organization" ("slug");'),
  ('Organization',       'Organization_domain_key',                      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Organization_domain_key" ON "Organization" ("domain");'),
  ('Organization',       'Organization_slug_idx',                        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Organization_slug_idx" ON "Organization" ("slug");'),
  ('OrganizationMember', 'OrganizationMember_userId_organizationId_key', 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "OrganizationMember_userId_organizationId_key" ON "OrganizationMember" ("userId", "organizationId");'),
  ('OrganizationMember', 'OrganizationMember_organizationId_idx',        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "OrganizationMember_organizationId_idx" ON "OrganizationMember" ("organizationId");'),
  ('OrganizationMember', 'OrganizationMember_userId_idx',                'CREATE INDEX CONCURRENTLY IF NOT EXISTS "OrganizationMember_userId_idx" ON "OrganizationMember" ("userId");'),
  ('EmailAccount',       'EmailAccount_organizationId_idx',              'CREATE INDEX CONCURRENTLY IF NOT EXISTS "EmailAccount_organizationId_idx" ON "EmailAccount" ("organizationId");'),
  ('Rule',               'Rule_emailAccountId_isShared_idx',             'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Rule_emailAccountId_isShared_idx" ON "Rule" ("emailAccountId", "isShared");'),
  ('Rule',               'Rule_createdBy_idx',                           'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Rule_createdBy_idx" ON "Rule" ("createdBy");'),
  ('Group',              'Group_emailAccountId_isShared_idx',            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Group_emailAccountId_isShared_idx" ON "Group" ("emailAccountId", "isShared");'),
  ('Group',              'Group_createdBy_idx',                          'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Group_createdBy_idx" ON "Group" ("createdBy");'),
  ('Knowledge',          'Knowledge_emailAccountId_isShared_idx',        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Knowledge_emailAccountId_isShared_idx" ON "Knowledge" ("emailAccountId", "isShared");'),
  ('Knowledge',          'Knowledge_createdBy_idx',                      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Knowledge_createdBy_idx" ON "Knowledge" ("createdBy");'),
  ('Category',           'Category_emailAccountId_isShared_idx',         'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Category_emailAccountId_isShared_idx" ON "Category" ("emailAccountId", "isShared");'),
  ('Category',           'Category_createdBy_idx',                       'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Category_createdBy_idx" ON "Category" ("createdBy");')
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
