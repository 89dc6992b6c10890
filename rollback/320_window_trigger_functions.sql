-- 320_window_trigger_functions.sql (undo)
-- What:     drops the window triggers' functions of sql/320; runs after the triggers
--           (rollback/321-329) are gone.
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP FUNCTION IF EXISTS emailai_migration.signup_keeper();
DROP FUNCTION IF EXISTS emailai_migration.user_deleted();
DROP FUNCTION IF EXISTS emailai_migration.resource_inserted();
DROP FUNCTION IF EXISTS emailai_migration.email_account_written();
DROP FUNCTION IF EXISTS emailai_migration.user_premium_changed();
DROP FUNCTION IF EXISTS emailai_migration.user_inserted();
