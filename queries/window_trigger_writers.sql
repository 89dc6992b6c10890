-- window_trigger_writers.sql: the roles that may write the tables the window
-- triggers are on (INSERT, UPDATE or DELETE granted on "User", "EmailAccount",
-- "Premium", "Rule", "Group", "Knowledge", "Category"), other than their owners and
-- superusers: the old app's roles. PUBLIC is listed as 'PUBLIC'. Per role: whether
-- the connected role may SET ROLE to it (needed to prove it by firing the triggers),
-- whether it can reach schema emailai_migration (it must not), and the new app's
-- tables it could not use ("Organization", "OrganizationMember", when they exist).
WITH writers AS (
  SELECT DISTINCT a.grantee
  FROM unnest(ARRAY['User', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category']) AS t(name)
  JOIN pg_class c ON c.oid = to_regclass(format('public.%I', t.name))
  CROSS JOIN LATERAL aclexplode(c.relacl) a
  WHERE a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE') AND a.grantee <> c.relowner
), roles AS (
  SELECT r.rolname AS role_name FROM writers w JOIN pg_roles r ON r.oid = w.grantee WHERE NOT r.rolsuper
  UNION
  SELECT 'PUBLIC' FROM writers WHERE grantee = 0
  UNION
  SELECT r.rolname FROM pg_roles r WHERE r.rolname = ANY ($1::text[])
)
SELECT r.role_name,
       -- CASE, not AND: SQL does not promise to test the cheap condition first.
       CASE WHEN r.role_name = 'PUBLIC' THEN false ELSE pg_has_role(current_user, r.role_name, 'MEMBER') END AS can_set_role,
       CASE WHEN r.role_name = 'PUBLIC' OR to_regnamespace('emailai_migration') IS NULL THEN false
            ELSE has_schema_privilege(r.role_name, 'emailai_migration', 'USAGE') END AS reaches_package,
       ARRAY(SELECT format('"%s"', t.name)
             FROM unnest(ARRAY['Organization', 'OrganizationMember']) AS t(name)
             WHERE CASE WHEN r.role_name = 'PUBLIC' OR to_regclass(format('public.%I', t.name)) IS NULL THEN false
                        -- one privilege a call: with a list, has_table_privilege is true if ANY is held
                        ELSE NOT (has_table_privilege(r.role_name, format('public.%I', t.name), 'SELECT')
                                  AND has_table_privilege(r.role_name, format('public.%I', t.name), 'INSERT')
                                  AND has_table_privilege(r.role_name, format('public.%I', t.name), 'UPDATE')
                                  AND has_table_privilege(r.role_name, format('public.%I', t.name), 'DELETE')) END
             ORDER BY t.name) AS new_tables_lacking
FROM roles r
ORDER BY r.role_name
