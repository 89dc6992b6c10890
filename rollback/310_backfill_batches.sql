-- 310_backfill_batches.sql (undo)
-- What:     drops the backfill functions of sql/310 (not the data: see runner.ts rollback).
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DROP FUNCTION IF EXISTS emailai_migration.backfill_batch(text, text, integer);
DROP FUNCTION IF EXISTS emailai_migration.backfill_passes();
