-- 243_validate_category_created_by_fkey.sql
-- What:     validates "Category_createdBy_fkey" (scans "Category" once to prove every existing row
--           satisfies it), in its own transaction, after step 233 added it NOT VALID.
-- Requires: step 233.
-- Locks:    SHARE UPDATE EXCLUSIVE on "Category", ROW SHARE on "User": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "Category" VALIDATE CONSTRAINT "Category_createdBy_fkey";
