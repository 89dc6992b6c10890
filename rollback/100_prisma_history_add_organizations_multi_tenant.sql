-- 100_prisma_history_add_organizations_multi_tenant.sql (undo)
-- What:     removes the "_prisma_migrations" row of the app's migration
--           20250930165011_add_organizations_multi_tenant that this package recorded
--           (`runner.ts schema --prisma-migrations`, listed in
--           emailai_migration.recorded_prisma_migration), and its registry row. Only
--           that row: a row the app's own `prisma migrate deploy` wrote is not listed
--           and stays (its objects are then kept too: verified_only_migration). Last
--           step of the undo of migrations/0001, after the objects are dropped, so the
--           history never says "not applied" while the objects still exist; a crash
--           before it leaves ley's history in place and a re-run repeats the undo.
--           Without it the new app's next `prisma migrate deploy` would say "No pending
--           migrations" on a database without its tables.
-- Requires: the registry (sql/020); "_prisma_migrations" may be absent.
-- Locks:    ROW EXCLUSIVE on "_prisma_migrations" and on the registry table, one row each.
-- Re-run:   safe (deletes what is still listed).
-- Undo:     `runner.ts schema --prisma-migrations DIR` records it again.
-- transaction: yes
DO $$
BEGIN
  IF to_regclass('emailai_migration.recorded_prisma_migration') IS NULL THEN
    RETURN;
  END IF;
  IF to_regclass('public."_prisma_migrations"') IS NOT NULL THEN
    DELETE FROM public."_prisma_migrations" p
    USING emailai_migration.recorded_prisma_migration r
    WHERE p.id = r.id AND r.migration_name = '20250930165011_add_organizations_multi_tenant';
  END IF;
  DELETE FROM emailai_migration.recorded_prisma_migration
  WHERE migration_name = '20250930165011_add_organizations_multi_tenant';
END $$;
