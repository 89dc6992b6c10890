-- 323_window_trigger_email_account_written.sql
-- What:     trigger emailai_migration_email_account_written on "EmailAccount": BEFORE INSERT OR UPDATE OF "userId" FOR EACH ROW runs
--           emailai_migration.email_account_written() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "EmailAccount" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/323_window_trigger_email_account_written.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_email_account_written' AND tgrelid = '"EmailAccount"'::regclass) THEN
    CREATE TRIGGER emailai_migration_email_account_written
      BEFORE INSERT OR UPDATE OF "userId" ON "EmailAccount"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.email_account_written();
  END IF;
END $$;
