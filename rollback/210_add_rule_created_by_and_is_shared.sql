-- 210_add_rule_created_by_and_is_shared.sql (undo)
-- What:     drops "Rule"."createdBy" and "Rule"."isShared" (undoes sql/210, and with
--           them "Rule_createdBy_idx", "Rule_emailAccountId_isShared_idx" and
--           "Rule_createdBy_fkey").
-- Locks:    ACCESS EXCLUSIVE on "Rule" and "User" (the foreign key), metadata only.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
ALTER TABLE "Rule" DROP COLUMN IF EXISTS "createdBy", DROP COLUMN IF EXISTS "isShared";
