-- Check: foreign keys left NOT VALID (convalidated = false) on the tables the migration touches.
-- Why: the schema phase adds foreign keys NOT VALID and validates them afterwards. Until then the
--      existing rows are unchecked: an inbox, member or resource may point at a row that does not exist.
-- Replaces: (new, not in the runbook)
-- severity: error
-- Next: {fix}
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT t.relname                          AS table_name,
       con.conname                        AS constraint_name,
       pg_get_constraintdef(con.oid)      AS constraint_definition,
       'ALTER TABLE public.' || quote_ident(t.relname)
         || ' VALIDATE CONSTRAINT ' || quote_ident(con.conname) AS fix
FROM pg_constraint con
JOIN pg_class t     ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE con.contype = 'f'
  AND NOT con.convalidated
  AND n.nspname = 'public'
  AND t.relname IN ('Organization', 'OrganizationMember', 'EmailAccount', 'Premium',
                    'Rule', 'Group', 'Knowledge', 'Category', 'User')
ORDER BY t.relname, con.conname;
