-- 325_window_trigger_group_inserted.sql (undo)
-- What:     drops trigger emailai_migration_group_inserted on "Group" (undoes sql/325).
-- Locks:    ACCESS EXCLUSIVE on "Group" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_group_inserted ON "Group";
