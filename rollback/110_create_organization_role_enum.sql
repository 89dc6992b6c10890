-- 110_create_organization_role_enum.sql (undo)
-- What:     drops enum "OrganizationRole" (undoes sql/110). Runs after the
--           "OrganizationMember" table that uses it is gone.
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DROP TYPE IF EXISTS "OrganizationRole";
