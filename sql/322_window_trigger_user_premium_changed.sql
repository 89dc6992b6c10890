-- 322_window_trigger_user_premium_changed.sql
-- What:     trigger emailai_migration_user_premium_changed on "User": AFTER UPDATE OF "premiumId" FOR EACH ROW runs
--           emailai_migration.user_premium_changed() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "User" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/322_window_trigger_user_premium_changed.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_user_premium_changed' AND tgrelid = '"User"'::regclass) THEN
    CREATE TRIGGER emailai_migration_user_premium_changed
      AFTER UPDATE OF "premiumId" ON "User"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.user_premium_changed();
  END IF;
END $$;
