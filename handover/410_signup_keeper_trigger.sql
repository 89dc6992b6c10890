-- 410_signup_keeper_trigger.sql
-- What:     trigger emailai_migration_signup_keeper on "User": a CONSTRAINT trigger,
--           AFTER INSERT, DEFERRABLE INITIALLY DEFERRED, FOR EACH ROW, runs
--           emailai_migration.signup_keeper() (see sql/320) when the inserting
--           transaction commits: a user who by then has no membership at all gets a
--           personal organization. Installed only by `runner.ts handover
--           --keep-signup-organizations`; it changes no row the new app wrote.
-- Requires: sql/320 (the function).
-- Locks:    SHARE ROW EXCLUSIVE on "User" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent).
-- Undo:     rollback/329_signup_keeper_trigger.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_signup_keeper' AND tgrelid = '"User"'::regclass) THEN
    CREATE CONSTRAINT TRIGGER emailai_migration_signup_keeper
      AFTER INSERT ON "User"
      DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.signup_keeper();
  END IF;
END $$;
