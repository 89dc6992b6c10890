-- 010_migration_log.sql
-- What:     the runbook's migration_log table (public), where every phase records
--           in_progress -> completed | failed | rolled_back.
-- Requires: nothing.
-- Locks:    none on app tables (creates a new table).
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     none: migration_log is the record of what happened and is kept by
--           every rollback level and by cleanup.
-- transaction: yes
CREATE TABLE IF NOT EXISTS migration_log (
  id SERIAL PRIMARY KEY,
  migration_name VARCHAR(255) NOT NULL,
  started_at TIMESTAMP NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMP,
  status VARCHAR(50) NOT NULL,
  error_message TEXT
);
