-- 326_window_trigger_knowledge_inserted.sql
-- What:     trigger emailai_migration_knowledge_inserted on "Knowledge": BEFORE INSERT FOR EACH ROW runs
--           emailai_migration.resource_inserted() (see sql/320).
-- Requires: 320.
-- Locks:    SHARE ROW EXCLUSIVE on "Knowledge" for an instant (blocks writes while
--           held); waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (created only when absent; CREATE OR REPLACE TRIGGER needs PG 14).
-- Undo:     rollback/326_window_trigger_knowledge_inserted.sql; `runner.ts cleanup`.
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'emailai_migration_knowledge_inserted' AND tgrelid = '"Knowledge"'::regclass) THEN
    CREATE TRIGGER emailai_migration_knowledge_inserted
      BEFORE INSERT ON "Knowledge"
      FOR EACH ROW EXECUTE FUNCTION emailai_migration.resource_inserted();
  END IF;
END $$;
