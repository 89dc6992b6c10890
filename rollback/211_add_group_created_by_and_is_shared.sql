-- 211_add_group_created_by_and_is_shared.sql (undo)
-- What:     drops "Group"."createdBy" and "Group"."isShared" (undoes sql/211, and with
--           them "Group_createdBy_idx", "Group_emailAccountId_isShared_idx" and
--           "Group_createdBy_fkey").
-- Locks:    ACCESS EXCLUSIVE on "Group" and "User" (the foreign key), metadata only.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
ALTER TABLE "Group" DROP COLUMN IF EXISTS "createdBy", DROP COLUMN IF EXISTS "isShared";
