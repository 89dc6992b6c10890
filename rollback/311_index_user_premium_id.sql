-- 311_index_user_premium_id.sql (undo)
-- What:     drops the package's index "emailai_migration_User_premiumId_idx" on "User" (undoes sql/311).
-- Locks:    SHARE UPDATE EXCLUSIVE on "User" (CONCURRENTLY): app reads and writes go on.
-- Re-run:   safe (IF EXISTS).
-- transaction: none (DROP INDEX CONCURRENTLY cannot run in a transaction block)
DROP INDEX CONCURRENTLY IF EXISTS "emailai_migration_User_premiumId_idx";
