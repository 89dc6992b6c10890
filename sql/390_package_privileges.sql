-- 390_package_privileges.sql
-- What:     nothing of the package is callable or readable by anyone but its owner,
--           the migrator: the app's roles get no USAGE on schema emailai_migration,
--           no privilege on its tables, sequences or functions, and none on
--           public.migration_log. Grants can arrive without anybody asking: EXECUTE
--           on a new function is PUBLIC's by default, and a real install often has
--           ALTER DEFAULT PRIVILEGES FOR ROLE migrator GRANT … ON TABLES TO app (for
--           every schema), which a per-schema default cannot take back. So this step
--           revokes, after the objects exist, every privilege held by a role other
--           than the owner, and sets the schema's own defaults for what comes later.
--           The window triggers need none of it: their functions are SECURITY
--           DEFINER (sql/320), and a trigger runs its function without an EXECUTE check.
-- Security: the REVOKEs are built from the catalog (names quoted with format %I and
--           regprocedure), never from input; they only take rights away.
-- Requires: 010, 020 and every object of the package (the last step of the schema phase).
-- Locks:    none on app tables (REVOKE updates the catalog rows of the package's own objects).
-- Re-run:   safe (revoking what is not granted is a no-op).
-- Undo:     none needed: the privileges go with the objects (rollback, cleanup).
-- transaction: yes
ALTER DEFAULT PRIVILEGES IN SCHEMA emailai_migration REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

DO $$
DECLARE
  v_grant record;
BEGIN
  -- The schema itself: USAGE or CREATE for anyone but its owner.
  FOR v_grant IN
    SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
    FROM pg_namespace n
    CROSS JOIN LATERAL aclexplode(n.nspacl) a
    LEFT JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'emailai_migration' AND a.grantee <> n.nspowner
  LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA emailai_migration FROM %s', v_grant.grantee);
  END LOOP;

  -- Its tables and sequences, and migration_log with its sequence.
  FOR v_grant IN
    SELECT DISTINCT format('%I.%I', n.nspname, c.relname) AS object,
           CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    LEFT JOIN pg_roles r ON r.oid = a.grantee
    WHERE (n.nspname = 'emailai_migration'
           OR (n.nspname = 'public' AND c.relname IN ('migration_log', 'migration_log_id_seq')))
      AND c.relkind IN ('r', 'p', 'S', 'v')
      AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON %s %s FROM %s', v_grant.kind, v_grant.object, v_grant.grantee);
  END LOOP;

  -- Its functions: EXECUTE is PUBLIC's unless revoked (acl NULL means the default).
  FOR v_grant IN
    SELECT p.oid::regprocedure::text AS object
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'emailai_migration'
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_grant.object);
  END LOOP;
  FOR v_grant IN
    SELECT DISTINCT p.oid::regprocedure::text AS object, quote_ident(r.rolname) AS grantee
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    CROSS JOIN LATERAL aclexplode(p.proacl) a
    JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'emailai_migration' AND a.grantee <> p.proowner
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %s', v_grant.object, v_grant.grantee);
  END LOOP;
END $$;
