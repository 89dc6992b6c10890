-- ley_migrations_create.sql
-- What:     ley's history of the package's migrations (migrations/*.ts): one row per
--           migration applied, in order; `ley up` skips what is listed, `ley down`
--           undoes the last. Created by the ley driver (lib/ley-driver.ts) beside the
--           bookkeeping of sql/010 and sql/020, before the first migration runs.
--           The columns are ley's own (its postgres driver's `migrations` table).
-- Locks:    none on app tables (creates a table of emailai_migration).
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     rollback/020_package_registry.sql drops it with emailai_migration once
--           the history is empty (`ley down --all`, `runner.ts rollback --schema`).
-- squawk:   prefer-identity, prefer-text-field, prefer-timestamp-tz: ley's own column types.
-- squawk-ignore-file prefer-identity, prefer-text-field, prefer-timestamp-tz, prefer-bigint-over-int
CREATE TABLE IF NOT EXISTS emailai_migration.ley_migrations (
  id serial PRIMARY KEY,
  name varchar(255) NOT NULL,
  created_at timestamp NOT NULL
)
