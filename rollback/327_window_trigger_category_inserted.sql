-- 327_window_trigger_category_inserted.sql (undo)
-- What:     drops trigger emailai_migration_category_inserted on "Category" (undoes sql/327).
-- Locks:    ACCESS EXCLUSIVE on "Category" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_category_inserted ON "Category";
