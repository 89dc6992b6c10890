-- 330_rollback_functions.sql (undo)
-- What:     drops the rollback and repair functions of sql/330.
-- Locks:    none on app tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP FUNCTION IF EXISTS emailai_migration.repair_user(text);
DROP FUNCTION IF EXISTS emailai_migration.rollback_changed_organizations(text, integer);
DROP FUNCTION IF EXISTS emailai_migration.rollback_plan(text, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_delete_organizations_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_unlink_premiums_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.rollback_unlink_email_accounts_batch(text, integer, text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.reset_seats(text[]);
DROP FUNCTION IF EXISTS emailai_migration.organization_batch(text, integer, text);
