-- 323_window_trigger_email_account_written.sql (undo)
-- What:     drops trigger emailai_migration_email_account_written on "EmailAccount" (undoes sql/323).
-- Locks:    ACCESS EXCLUSIVE on "EmailAccount" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_email_account_written ON "EmailAccount";
