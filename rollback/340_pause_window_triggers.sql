-- 340_pause_window_triggers.sql
-- What:     pauses the window triggers (sql/320) for a whole-database `runner.ts
--           rollback --keep-orgs|--orgs`: the first step of the rollback, before its
--           first batch. From then on an old-app write gives nobody an organization
--           and is linked to none (emailai_migration.window_pause, sql/020), so none
--           can be linked to an organization the rollback is deleting (that insert
--           would fail on "EmailAccount_organizationId_fkey") and nothing the
--           triggers would make meanwhile is left behind. The lock makes the pause
--           exact: SHARE on "User" and "EmailAccount" is granted only once every
--           transaction that was writing them has ended, so a write that fired an
--           unpaused trigger has committed before the rollback's first batch reads,
--           and every later write sees the pause (its triggers read it per statement).
--           The triggers stay installed, paused, after the rollback (the database is
--           in its pre-migration state while the old app still writes); the next
--           `runner.ts backfill` or `up` resumes them first (sql/315), then relinks.
-- Requires: 020, 320.
-- Locks:    SHARE on "User" and "EmailAccount" (LOCK TABLE, under the runner's
--           lock_timeout, retried with backoff): the app's writes to those two
--           tables wait at most lock_timeout behind it, and only for as long as the
--           one-row insert below takes once granted; reads are never blocked.
-- Re-run:   safe (ON CONFLICT DO NOTHING): a second rollback finds it paused.
-- Undo:     sql/315_resume_window_triggers.sql (run by `runner.ts backfill`).
-- transaction: yes
LOCK TABLE public."User", public."EmailAccount" IN SHARE MODE;
INSERT INTO emailai_migration.window_pause (paused_by) VALUES ('rollback')
ON CONFLICT (id) DO NOTHING;
