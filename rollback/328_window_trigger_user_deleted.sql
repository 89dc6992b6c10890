-- 328_window_trigger_user_deleted.sql (undo)
-- What:     drops trigger emailai_migration_user_deleted on "User" (undoes sql/328).
-- Locks:    ACCESS EXCLUSIVE on "User" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DROP TRIGGER IF EXISTS emailai_migration_user_deleted ON "User";
