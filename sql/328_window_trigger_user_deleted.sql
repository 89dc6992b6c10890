-- 328_window_trigger_user_deleted.sql
-- What:     trigger emailai_migration_user_deleted on "User": AFTER DELETE FOR EACH ROW runs
--           emailai_migration.user_deleted() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "User" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/328_window_trigger_user_deleted.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_user_deleted' AND tgrelid = '"User"'::regclass) THEN
    CREATE TRIGGER emailai_migration_user_deleted
      AFTER DELETE ON "User"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.user_deleted();
  END IF;
END $$;
