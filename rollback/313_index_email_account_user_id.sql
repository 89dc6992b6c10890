-- 313_index_email_account_user_id.sql (undo)
-- What:     drops the package's index "emailai_migration_EmailAccount_userId_idx" on "EmailAccount" (undoes sql/313).
-- Locks:    SHARE UPDATE EXCLUSIVE on "EmailAccount" (CONCURRENTLY): app reads and writes go on.
-- Re-run:   safe (IF EXISTS).
-- transaction: none (DROP INDEX CONCURRENTLY cannot run in a transaction block)
DROP INDEX CONCURRENTLY IF EXISTS "emailai_migration_EmailAccount_userId_idx";
