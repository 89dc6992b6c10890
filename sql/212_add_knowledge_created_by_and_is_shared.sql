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
ALTER TABLE "Knowledge"
  ADD COLUMN IF NOT EXISTS "createdBy" TEXT,
  ADD COLUMN IF NOT EXISTS "isShared" BOOLEAN NOT NULL DEFAULT false;
