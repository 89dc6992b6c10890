-- 329_signup_keeper_trigger.sql (undo)
-- What:     drops trigger emailai_migration_signup_keeper on "User" (undoes
--           handover/410_signup_keeper_trigger.sql); nothing when it was never installed.
-- Locks:    ACCESS EXCLUSIVE on "User" for an instant; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TRIGGER IF EXISTS emailai_migration_signup_keeper ON "User";
