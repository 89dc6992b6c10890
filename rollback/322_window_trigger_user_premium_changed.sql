-- 322_window_trigger_user_premium_changed.sql (undo)
-- What:     drops trigger emailai_migration_user_premium_changed on "User" (undoes sql/322).
-- Locks:    ACCESS EXCLUSIVE on "User" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_user_premium_changed ON "User";
