-- 326_window_trigger_knowledge_inserted.sql (undo)
-- What:     drops trigger emailai_migration_knowledge_inserted on "Knowledge" (undoes sql/326).
-- Locks:    ACCESS EXCLUSIVE on "Knowledge" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_knowledge_inserted ON "Knowledge";
