-- 319_window_trigger_probe.sql (undo)
-- What:     drops emailai_migration.window_trigger_probe (sql/319).
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP FUNCTION IF EXISTS emailai_migration.window_trigger_probe(text);
