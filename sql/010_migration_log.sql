-- 010_migration_log.sql
-- What:     the runbook's migration_log table (public), where every phase records
--           in_progress -> completed | failed | rolled_back.
-- Requires: nothing.
-- Locks:    none on app tables (creates a new table).
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     none: migration_log is the record of what happened and is kept by
--           every rollback level and by cleanup.
-- transaction: yes
-- squawk:   prefer-bigint-over-int: integer is Prisma's Int and the runbook's SERIAL.
-- squawk:   prefer-identity: SERIAL is the runbook's definition of migration_log.
-- squawk:   prefer-text-field: varchar(N) is the runbook's own definition of migration_log / Prisma's "_prisma_migrations" types.
-- squawk:   prefer-timestamp-tz: TIMESTAMP(3) / timestamp are the app's Prisma types and the runbook's migration_log definition.
-- squawk-ignore-file prefer-bigint-over-int, prefer-identity, prefer-text-field, prefer-timestamp-tz
CREATE TABLE IF NOT EXISTS migration_log (
  id SERIAL PRIMARY KEY,
  migration_name VARCHAR(255) NOT NULL,
  started_at TIMESTAMP NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMP,
  status VARCHAR(50) NOT NULL,
  error_message TEXT
);
