-- 310_backfill_batches.sql (undo)
-- What:     drops the backfill functions of sql/310 (not the data: see runner.ts rollback).
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP FUNCTION IF EXISTS emailai_migration.backfill_checkpoint_advance(text, text, integer, boolean);
DROP FUNCTION IF EXISTS emailai_migration.backfill_split_keys(text, text, integer);
DROP FUNCTION IF EXISTS emailai_migration.backfill_batch(text, text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.backfill_batch(text, text, integer);
DROP FUNCTION IF EXISTS emailai_migration.backfill_passes();
