-- 212_add_knowledge_created_by_and_is_shared.sql (undo)
-- What:     drops "Knowledge"."createdBy" and "Knowledge"."isShared" (undoes sql/212, and with
--           them "Knowledge_createdBy_idx", "Knowledge_emailAccountId_isShared_idx" and
--           "Knowledge_createdBy_fkey").
-- Locks:    ACCESS EXCLUSIVE on "Knowledge" and "User" (the foreign key), metadata only.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
ALTER TABLE "Knowledge" DROP COLUMN IF EXISTS "createdBy", DROP COLUMN IF EXISTS "isShared";
