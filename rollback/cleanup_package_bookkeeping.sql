-- cleanup_package_bookkeeping.sql
-- What:     drops schema emailai_migration with what is left in it: the registry of what
--           the migration created (read only by rollback), the backfill checkpoints and
--           ley's history (emailai_migration.ley_migrations). Last step of
--           `runner.ts cleanup`, after rollback/327..321, 320, 310, 300 removed the window
--           triggers and the functions. public.migration_log is NOT touched: it stays as
--           the record of the migration (cleanup writes its own row there).
-- Requires: the window triggers gone. The guard below stops (and rolls back) if any
--           trigger on a table outside the schema still calls a function of the schema:
--           CASCADE would otherwise drop that trigger from an app table silently. (The
--           registry's own trigger, on emailai_migration.created_organization, goes
--           with the schema.)
-- Locks:    none on app tables (ACCESS EXCLUSIVE on the package's own tables only).
-- Re-run:   safe (IF EXISTS).
-- Undo:     none. After this, `runner.ts rollback` has no registry to read, and `ley up`
--           would see an empty history: the migration is finished for good.
-- transaction: yes
DO $$
DECLARE
  remaining text;
BEGIN
  SELECT string_agg(format('%I ON %s', tg.tgname, tg.tgrelid::regclass), ', ')
    INTO remaining
    FROM pg_trigger tg
    JOIN pg_proc p ON p.oid = tg.tgfoid
    JOIN pg_class c ON c.oid = tg.tgrelid
   WHERE p.pronamespace = to_regnamespace('emailai_migration')
     AND c.relnamespace <> to_regnamespace('emailai_migration');
  IF remaining IS NOT NULL THEN
    RAISE EXCEPTION 'triggers still call functions of schema emailai_migration: %', remaining
      USING HINT = 'drop them first (rollback/321..327), then run this file again';
  END IF;
END
$$;

DROP SCHEMA IF EXISTS emailai_migration CASCADE;
