-- Check: schema objects of the "After the migration" table of emailai-schema.md that are missing from the public schema or defined differently.
-- Why: the Prisma client and schema diff of the new app depend on these exact names and definitions.
--      A missing index makes organization lookups slow, a wrong ON DELETE can cascade-delete inboxes.
-- Replaces: (new, not in the runbook)
-- severity: error
-- Next: a missing index: run the CREATE INDEX CONCURRENTLY of the missing_index finding; anything else differs from emailai-schema.md: compare with `psql -X -f checks/schema_objects_missing_or_different.sql`
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.

-- Notes: compares a canonical text of each object (built the same way for expected and actual):
--   enum: its labels in order. table: relkind. column: format_type [NOT NULL] [DEFAULT expr].
--   index: [UNIQUE] INDEX ON table (key columns) [USING am] [INCLUDE] [WHERE] [NULLS NOT DISTINCT];
--   primary/foreign key: columns, referenced table and columns, ON DELETE and ON UPDATE actions.
--   "public." is stripped so the result does not depend on search_path. A foreign key left NOT VALID
--   and an INVALID index are reported by foreign_keys_not_validated and invalid_indexes, not here.
--   (The Phase 1 "Verification" of the runbook only listed table, column and index names.)
WITH expected (object_type, object_name, table_name, column_name, expected) AS (
  VALUES
  ('enum',  'OrganizationRole',   NULL, NULL, 'OWNER, ADMIN, MEMBER, VIEWER'),
  ('table', 'Organization',       NULL, NULL, 'table'),
  ('table', 'OrganizationMember', NULL, NULL, 'table'),

  ('column', NULL, 'Organization', 'id',        'text NOT NULL'),
  ('column', NULL, 'Organization', 'createdAt', 'timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP'),
  ('column', NULL, 'Organization', 'updatedAt', 'timestamp(3) without time zone NOT NULL'),
  ('column', NULL, 'Organization', 'name',      'text NOT NULL'),
  ('column', NULL, 'Organization', 'slug',      'text NOT NULL'),
  ('column', NULL, 'Organization', 'domain',    'text'),
  ('column', NULL, 'Organization', 'logoUrl',   'text'),
  ('column', NULL, 'Organization', 'premiumId', 'text'),

  ('column', NULL, 'OrganizationMember', 'id',             'text NOT NULL'),
  ('column', NULL, 'OrganizationMember', 'createdAt',      'timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP'),
  ('column', NULL, 'OrganizationMember', 'updatedAt',      'timestamp(3) without time zone NOT NULL'),
  ('column', NULL, 'OrganizationMember', 'role',           '"OrganizationRole" NOT NULL DEFAULT ''MEMBER''::"OrganizationRole"'),
  ('column', NULL, 'OrganizationMember', 'userId',         'text NOT NULL'),
  ('column', NULL, 'OrganizationMember', 'organizationId', 'text NOT NULL'),

  ('column', NULL, 'EmailAccount', 'organizationId', 'text'),
  ('column', NULL, 'Premium',      'maxSeats',       'integer'),
  ('column', NULL, 'Premium',      'usedSeats',      'integer NOT NULL DEFAULT 1'),
  ('column', NULL, 'Rule',         'createdBy',      'text'),
  ('column', NULL, 'Rule',         'isShared',       'boolean NOT NULL DEFAULT false'),
  ('column', NULL, 'Group',        'createdBy',      'text'),
  ('column', NULL, 'Group',        'isShared',       'boolean NOT NULL DEFAULT false'),
  ('column', NULL, 'Knowledge',    'createdBy',      'text'),
  ('column', NULL, 'Knowledge',    'isShared',       'boolean NOT NULL DEFAULT false'),
  ('column', NULL, 'Category',     'createdBy',      'text'),
  ('column', NULL, 'Category',     'isShared',       'boolean NOT NULL DEFAULT false'),

  ('primary key', 'Organization_pkey',       'Organization',       NULL, 'PRIMARY KEY ON "Organization" (id)'),
  ('primary key', 'OrganizationMember_pkey', 'OrganizationMember', NULL, 'PRIMARY KEY ON "OrganizationMember" (id)'),

  ('index', 'Organization_slug_key',                        'Organization',       NULL, 'UNIQUE INDEX ON "Organization" (slug)'),
  ('index', 'Organization_domain_key',                      'Organization',       NULL, 'UNIQUE INDEX ON "Organization" (domain)'),
  ('index', 'OrganizationMember_userId_organizationId_key', 'OrganizationMember', NULL, 'UNIQUE INDEX ON "OrganizationMember" ("userId", "organizationId")'),
  ('index', 'Organization_slug_idx',                        'Organization',       NULL, 'INDEX ON "Organization" (slug)'),
  ('index', 'OrganizationMember_organizationId_idx',        'OrganizationMember', NULL, 'INDEX ON "OrganizationMember" ("organizationId")'),
  ('index', 'OrganizationMember_userId_idx',                'OrganizationMember', NULL, 'INDEX ON "OrganizationMember" ("userId")'),
  ('index', 'EmailAccount_organizationId_idx',              'EmailAccount',       NULL, 'INDEX ON "EmailAccount" ("organizationId")'),
  ('index', 'Rule_emailAccountId_isShared_idx',             'Rule',               NULL, 'INDEX ON "Rule" ("emailAccountId", "isShared")'),
  ('index', 'Rule_createdBy_idx',                           'Rule',               NULL, 'INDEX ON "Rule" ("createdBy")'),
  ('index', 'Group_emailAccountId_isShared_idx',            'Group',              NULL, 'INDEX ON "Group" ("emailAccountId", "isShared")'),
  ('index', 'Group_createdBy_idx',                          'Group',              NULL, 'INDEX ON "Group" ("createdBy")'),
  ('index', 'Knowledge_emailAccountId_isShared_idx',        'Knowledge',          NULL, 'INDEX ON "Knowledge" ("emailAccountId", "isShared")'),
  ('index', 'Knowledge_createdBy_idx',                      'Knowledge',          NULL, 'INDEX ON "Knowledge" ("createdBy")'),
  ('index', 'Category_emailAccountId_isShared_idx',         'Category',           NULL, 'INDEX ON "Category" ("emailAccountId", "isShared")'),
  ('index', 'Category_createdBy_idx',                       'Category',           NULL, 'INDEX ON "Category" ("createdBy")'),

  ('foreign key', 'Organization_premiumId_fkey',            'Organization',       NULL, 'FOREIGN KEY ON "Organization" ("premiumId") REFERENCES "Premium" (id) ON DELETE SET NULL ON UPDATE CASCADE'),
  ('foreign key', 'OrganizationMember_userId_fkey',         'OrganizationMember', NULL, 'FOREIGN KEY ON "OrganizationMember" ("userId") REFERENCES "User" (id) ON DELETE CASCADE ON UPDATE CASCADE'),
  ('foreign key', 'OrganizationMember_organizationId_fkey', 'OrganizationMember', NULL, 'FOREIGN KEY ON "OrganizationMember" ("organizationId") REFERENCES "Organization" (id) ON DELETE CASCADE ON UPDATE CASCADE'),
  ('foreign key', 'EmailAccount_organizationId_fkey',       'EmailAccount',       NULL, 'FOREIGN KEY ON "EmailAccount" ("organizationId") REFERENCES "Organization" (id) ON DELETE CASCADE ON UPDATE CASCADE'),
  ('foreign key', 'Rule_createdBy_fkey',                    'Rule',               NULL, 'FOREIGN KEY ON "Rule" ("createdBy") REFERENCES "User" (id) ON DELETE SET NULL ON UPDATE CASCADE'),
  ('foreign key', 'Group_createdBy_fkey',                   'Group',              NULL, 'FOREIGN KEY ON "Group" ("createdBy") REFERENCES "User" (id) ON DELETE SET NULL ON UPDATE CASCADE'),
  ('foreign key', 'Knowledge_createdBy_fkey',               'Knowledge',          NULL, 'FOREIGN KEY ON "Knowledge" ("createdBy") REFERENCES "User" (id) ON DELETE SET NULL ON UPDATE CASCADE'),
  ('foreign key', 'Category_createdBy_fkey',                'Category',           NULL, 'FOREIGN KEY ON "Category" ("createdBy") REFERENCES "User" (id) ON DELETE SET NULL ON UPDATE CASCADE')
),
public_rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relam
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public'
),
actual_enum AS (
  SELECT t.typname AS object_name,
         CASE WHEN t.typtype = 'e'
              THEN coalesce((SELECT string_agg(l.enumlabel::text, ', ' ORDER BY l.enumsortorder)
                               FROM pg_enum l WHERE l.enumtypid = t.oid), '(no labels)')
              ELSE 'not an enum (typtype ' || t.typtype::text || ')'
         END AS actual
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = 'public'
),
actual_table AS (
  SELECT r.relname AS object_name,
         CASE WHEN r.relkind IN ('r', 'p') THEN 'table'
              ELSE 'not a table (relkind ' || r.relkind::text || ')'
         END AS actual
  FROM public_rel r
),
actual_column AS (
  SELECT r.relname AS table_name,
         a.attname AS column_name,
         regexp_replace(format_type(a.atttypid, a.atttypmod), '^public\.', '')
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || CASE WHEN a.attidentity <> '' THEN ' GENERATED AS IDENTITY' ELSE '' END
           || CASE WHEN a.attgenerated <> '' THEN ' GENERATED ALWAYS AS' ELSE '' END
           || coalesce(' DEFAULT ' || replace(pg_get_expr(d.adbin, d.adrelid), '::public.', '::'), '')
           AS actual
  FROM public_rel r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
),
actual_index AS (
  SELECT r.relname AS object_name,
         CASE WHEN i.indexrelid IS NULL
              THEN 'not an index (relkind ' || r.relkind::text || ')'
              ELSE CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END
                   || 'INDEX ON ' || CASE WHEN tn.nspname = 'public' THEN '' ELSE quote_ident(tn.nspname) || '.' END
                   || quote_ident(t.relname)
                   -- key columns in order, with DESC / NULLS FIRST|LAST when not the default (indoption bits 1, 2)
                   || ' (' || (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true)
                                                 || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                                                 || CASE WHEN (i.indoption[k - 1] & 2 = 2) = (i.indoption[k - 1] & 1 = 1) THEN ''
                                                         WHEN i.indoption[k - 1] & 2 = 2 THEN ' NULLS FIRST'
                                                         ELSE ' NULLS LAST' END,
                                                 ', ' ORDER BY k)
                                 FROM generate_series(1, i.indnkeyatts::int) k) || ')'
                   || CASE WHEN am.amname <> 'btree' THEN ' USING ' || am.amname ELSE '' END
                   || CASE WHEN i.indnatts > i.indnkeyatts
                           THEN ' INCLUDE (' || (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k)
                                                   FROM generate_series(i.indnkeyatts + 1, i.indnatts::int) k) || ')'
                           ELSE '' END
                   || CASE WHEN i.indpred IS NOT NULL
                           THEN ' WHERE ' || pg_get_expr(i.indpred, i.indrelid, true) ELSE '' END
                   -- indnullsnotdistinct exists from PostgreSQL 15 on: read it through to_jsonb
                   || CASE WHEN (to_jsonb(i) ->> 'indnullsnotdistinct') = 'true'
                           THEN ' NULLS NOT DISTINCT' ELSE '' END
         END AS actual
  FROM public_rel r
  LEFT JOIN pg_index i      ON i.indexrelid = r.oid
  LEFT JOIN pg_class t      ON t.oid = i.indrelid
  LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
  LEFT JOIN pg_am am        ON am.oid = r.relam
),
actual_constraint AS (
  SELECT con.conname AS object_name,
         t.relname   AS table_name,
         CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'u' THEN 'UNIQUE'
                          WHEN 'c' THEN 'CHECK' WHEN 'x' THEN 'EXCLUDE' ELSE 'CONSTRAINT ' || con.contype::text END
           || ' ON ' || quote_ident(t.relname)
           || ' (' || coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                                  FROM unnest(con.conkey) WITH ORDINALITY AS k (attnum, ord)
                                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), '') || ')'
           || CASE WHEN con.contype = 'f'
                   THEN ' REFERENCES ' || CASE WHEN fn.nspname = 'public' THEN '' ELSE quote_ident(fn.nspname) || '.' END
                        || quote_ident(f.relname)
                        || ' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                                      FROM unnest(con.confkey) WITH ORDINALITY AS k (attnum, ord)
                                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) || ')'
                        || CASE WHEN con.confmatchtype = 'f' THEN ' MATCH FULL' ELSE '' END
                        || ' ON DELETE ' || CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
                                              WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END
                        || ' ON UPDATE ' || CASE con.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
                                              WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END
                   ELSE '' END
           || CASE WHEN con.condeferrable THEN ' DEFERRABLE' ELSE '' END
           AS actual
  FROM pg_constraint con
  JOIN public_rel t          ON t.oid = con.conrelid
  LEFT JOIN pg_class f       ON f.oid = con.confrelid
  LEFT JOIN pg_namespace fn  ON fn.oid = f.relnamespace
),
compared AS (
  SELECT e.object_type,
         CASE WHEN e.object_type = 'column'
              THEN '"' || e.table_name || '"."' || e.column_name || '"'
              ELSE '"' || e.object_name || '"'
         END AS object_name,
         e.expected,
         CASE e.object_type
           WHEN 'enum'   THEN (SELECT a.actual FROM actual_enum a WHERE a.object_name = e.object_name)
           WHEN 'table'  THEN (SELECT a.actual FROM actual_table a WHERE a.object_name = e.object_name)
           WHEN 'column' THEN (SELECT a.actual FROM actual_column a
                                WHERE a.table_name = e.table_name AND a.column_name = e.column_name)
           WHEN 'index'  THEN (SELECT a.actual FROM actual_index a WHERE a.object_name = e.object_name)
           -- constraint names are unique per table only: prefer the one on the expected table
           ELSE (SELECT a.actual FROM actual_constraint a
                  WHERE a.object_name = e.object_name
                  ORDER BY (a.table_name = e.table_name) DESC, a.table_name
                  LIMIT 1)
         END AS actual,
         CASE e.object_type WHEN 'enum' THEN 1 WHEN 'table' THEN 2 WHEN 'column' THEN 3
                            WHEN 'primary key' THEN 4 WHEN 'index' THEN 5 ELSE 6 END AS type_rank
  FROM expected e
)
SELECT c.object_type AS object_type,
       c.object_name AS object_name,
       CASE WHEN c.actual IS NULL THEN 'missing' ELSE 'different' END AS problem,
       c.expected    AS expected,
       c.actual      AS actual
FROM compared c
WHERE c.actual IS DISTINCT FROM c.expected
ORDER BY c.type_rank, c.object_name;
