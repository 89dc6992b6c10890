-- 328_window_trigger_user_deleted.sql (undo)
-- What:     drops trigger emailai_migration_user_deleted on "User" (undoes sql/328).
-- Locks:    ACCESS EXCLUSIVE on "User" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_user_deleted ON "User";
