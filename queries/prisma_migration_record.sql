-- prisma_migration_record.sql
-- What:     records the app's Prisma migration $2 as applied in "_prisma_migrations"
--           (what `npx prisma migrate resolve --applied` writes: a finished row with
--           the sha256 $1 of its migration.sql), so that the app's `prisma migrate
--           deploy` does not run it again over the package's objects; and registers
--           the row in emailai_migration.recorded_prisma_migration, so that the way
--           back (rollback/) deletes only the row the package wrote. One statement:
--           both rows or neither. Run by `runner.ts schema --prisma-migrations DIR`
--           for each migration not yet applied.
-- Locks:    ROW EXCLUSIVE on "_prisma_migrations" (a plain INSERT; Prisma's own table,
--           written only by deploys) and on emailai_migration.recorded_prisma_migration.
-- Re-run:   not blindly: the runner first checks the migration is not recorded as
--           applied (schema.ts), and skips it when it is.
-- Undo:     rollback/100_prisma_history_add_organizations_multi_tenant.sql and
--           rollback/200_prisma_history_add_shared_resources.sql delete the rows
--           listed in recorded_prisma_migration (`ley down`, `rollback --schema`).
WITH recorded AS (
  INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
  VALUES (gen_random_uuid()::text, $1, now(), $2, now(), 1)
  RETURNING id, migration_name
)
INSERT INTO emailai_migration.recorded_prisma_migration (id, migration_name)
SELECT id, migration_name FROM recorded
