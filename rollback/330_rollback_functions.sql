-- 330_rollback_functions.sql (undo)
-- What:     drops the rollback and repair functions of sql/330.
-- Locks:    none on app tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DROP FUNCTION IF EXISTS emailai_migration.repair_user(text);
DROP FUNCTION IF EXISTS emailai_migration.rollback_changed_organizations(text, integer);
DROP FUNCTION IF EXISTS emailai_migration.rollback_plan(text, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_delete_organizations_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_unlink_premiums_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_unlink_email_accounts_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.reset_seats(text[]);
DROP FUNCTION IF EXISTS emailai_migration.organization_batch(text, integer, text);
