-- 315_resume_window_triggers.sql
-- What:     resumes the window triggers a whole-database rollback paused
--           (rollback/340): the first step of `runner.ts backfill` (and so of `up`),
--           run only while they are paused. The lock makes the resume exact: SHARE on
--           "User" and "EmailAccount" is granted only once every transaction writing
--           them has ended, so no write that saw the triggers paused commits after
--           the backfill's first batch reads; every later write sees them active.
-- Requires: 020, 320.
-- Locks:    SHARE on "User" and "EmailAccount" (LOCK TABLE, under the runner's
--           lock_timeout, retried with backoff), only when paused: the app's writes
--           to those two tables wait at most lock_timeout behind it, and only for as
--           long as the one-row delete below takes once granted; reads never wait.
-- Re-run:   safe: not paused, it takes no lock and changes nothing.
-- Undo:     rollback/340_pause_window_triggers.sql (run by `runner.ts rollback`).
-- transaction: yes
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
    LOCK TABLE public."User", public."EmailAccount" IN SHARE MODE;
    DELETE FROM emailai_migration.window_pause;
  END IF;
END $$;
