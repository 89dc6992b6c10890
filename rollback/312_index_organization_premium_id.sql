-- 312_index_organization_premium_id.sql (undo)
-- What:     drops the package's index "emailai_migration_Organization_premiumId_idx" on "Organization" (undoes sql/312).
-- Locks:    SHARE UPDATE EXCLUSIVE on "Organization" (CONCURRENTLY): app reads and writes go on.
-- Re-run:   safe (IF EXISTS).
-- transaction: none (DROP INDEX CONCURRENTLY cannot run in a transaction block)
DROP INDEX CONCURRENTLY IF EXISTS "emailai_migration_Organization_premiumId_idx";
