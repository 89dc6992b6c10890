-- 311_index_user_premium_id.sql (undo)
-- What:     drops the package's index "emailai_migration_User_premiumId_idx" on "User" (undoes sql/311).
-- Locks:    SHARE UPDATE EXCLUSIVE on "User" (CONCURRENTLY): app reads and writes go on.
-- Re-run:   safe (IF EXISTS).
-- transaction: none (DROP INDEX CONCURRENTLY cannot run in a transaction block)
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DROP INDEX CONCURRENTLY IF EXISTS "emailai_migration_User_premiumId_idx";
