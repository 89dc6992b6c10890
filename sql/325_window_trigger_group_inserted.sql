-- 325_window_trigger_group_inserted.sql
-- What:     trigger emailai_migration_group_inserted on "Group": BEFORE INSERT FOR EACH ROW runs
--           emailai_migration.resource_inserted() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "Group" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/325_window_trigger_group_inserted.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_group_inserted' AND tgrelid = '"Group"'::regclass) THEN
    CREATE TRIGGER emailai_migration_group_inserted
      BEFORE INSERT ON "Group"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.resource_inserted();
  END IF;
END $$;
