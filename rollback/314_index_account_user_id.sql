-- 314_index_account_user_id.sql (undo)
-- What:     drops the package's index "emailai_migration_Account_userId_idx" on "Account" (undoes sql/314).
-- Locks:    SHARE UPDATE EXCLUSIVE on "Account" (CONCURRENTLY): app reads and writes go on.
-- Re-run:   safe (IF EXISTS).
-- transaction: none (DROP INDEX CONCURRENTLY cannot run in a transaction block)
DROP INDEX CONCURRENTLY IF EXISTS "emailai_migration_Account_userId_idx";
