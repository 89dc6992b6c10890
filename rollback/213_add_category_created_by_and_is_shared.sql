-- 213_add_category_created_by_and_is_shared.sql (undo)
-- What:     drops "Category"."createdBy" and "Category"."isShared" (undoes sql/213, and with
--           them "Category_createdBy_idx", "Category_emailAccountId_isShared_idx" and
--           "Category_createdBy_fkey").
-- Locks:    ACCESS EXCLUSIVE on "Category" and "User" (the foreign key), metadata only.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
ALTER TABLE "Category" DROP COLUMN IF EXISTS "createdBy", DROP COLUMN IF EXISTS "isShared";
