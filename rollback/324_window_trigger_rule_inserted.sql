-- 324_window_trigger_rule_inserted.sql (undo)
-- What:     drops trigger emailai_migration_rule_inserted on "Rule" (undoes sql/324).
-- Locks:    ACCESS EXCLUSIVE on "Rule" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_rule_inserted ON "Rule";
