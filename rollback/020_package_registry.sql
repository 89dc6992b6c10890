-- 020_package_registry.sql (undo)
-- What:     drops schema emailai_migration (the registry, the checkpoints, the
--           recorded Prisma rows' ids, ley's history) once `ley down` has undone the
--           last migration: SPEC "Rollback": of the package nothing is left but
--           public.migration_log. Run by lib/ley-driver.ts after a `down` that leaves
--           the history empty (`ley down --all`, `runner.ts rollback --schema`).
--           Keeps the schema (a NOTICE says why) while
--             - ley's history still lists a migration (a partial `ley down`), or
--             - a trigger outside the schema calls a function of it, or
--             - "Organization" still exists and holds an organization the registry
--               says the migration created (the app's own Prisma migration created the
--               tables, so `ley down` kept them): the registry is then the only record
--               of which rows are the migration's.
-- Requires: the package's migrations undone (rollback/330..110).
-- Locks:    none on app tables (ACCESS EXCLUSIVE on the package's own tables only).
-- Re-run:   safe (IF EXISTS; a schema already gone is a no-op).
-- Undo:     `ley up` creates it again (sql/020).
-- transaction: yes
DO $$
DECLARE
  v_reason text;
BEGIN
  IF to_regnamespace('emailai_migration') IS NULL THEN
    RETURN;
  END IF;
  IF to_regclass('emailai_migration.ley_migrations') IS NOT NULL
     AND EXISTS (SELECT 1 FROM emailai_migration.ley_migrations) THEN
    v_reason := 'ley''s history still lists a migration';
  ELSIF EXISTS (SELECT 1 FROM pg_trigger tg
                JOIN pg_proc p ON p.oid = tg.tgfoid
                JOIN pg_class c ON c.oid = tg.tgrelid
                WHERE p.pronamespace = to_regnamespace('emailai_migration')
                  AND c.relnamespace <> to_regnamespace('emailai_migration')) THEN
    v_reason := 'a trigger outside the schema still calls one of its functions';
  ELSIF to_regclass('public."Organization"') IS NOT NULL
        AND to_regclass('emailai_migration.created_organization') IS NOT NULL THEN
    EXECUTE 'SELECT ''the registry still names '' || count(*) || '' organization(s) of the migration in "Organization"''
             FROM (SELECT organization_id FROM emailai_migration.created_organization
                   UNION ALL SELECT organization_id FROM emailai_migration.team_organization) c
             JOIN public."Organization" o ON o.id = c.organization_id
             HAVING count(*) > 0' INTO v_reason;
  END IF;
  IF v_reason IS NOT NULL THEN
    RAISE NOTICE 'schema emailai_migration kept: %', v_reason;
    RETURN;
  END IF;
  DROP SCHEMA emailai_migration CASCADE;
END $$;
