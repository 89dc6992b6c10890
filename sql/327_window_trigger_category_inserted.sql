-- 327_window_trigger_category_inserted.sql
-- What:     trigger emailai_migration_category_inserted on "Category": BEFORE INSERT FOR EACH ROW runs
--           emailai_migration.resource_inserted() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "Category" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/327_window_trigger_category_inserted.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_category_inserted' AND tgrelid = '"Category"'::regclass) THEN
    CREATE TRIGGER emailai_migration_category_inserted
      BEFORE INSERT ON "Category"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.resource_inserted();
  END IF;
END $$;
