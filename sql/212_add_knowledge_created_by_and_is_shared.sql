-- 212_add_knowledge_created_by_and_is_shared.sql
-- What:     "Knowledge"."createdBy" text (nullable: NULL = legacy, shown to every member)
--           and "Knowledge"."isShared" boolean NOT NULL DEFAULT false (a constant
--           default: catalog only, no rewrite on PG >= 11).
-- Requires: nothing.
-- Locks:    ACCESS EXCLUSIVE on "Knowledge", metadata only: an instant once granted;
--           waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     rollback/212_add_knowledge_created_by_and_is_shared.sql
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
ALTER TABLE "Knowledge"
  ADD COLUMN IF NOT EXISTS "createdBy" TEXT,
  ADD COLUMN IF NOT EXISTS "isShared" BOOLEAN NOT NULL DEFAULT false;
