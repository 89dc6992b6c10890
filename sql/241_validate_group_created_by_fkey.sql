-- 241_validate_group_created_by_fkey.sql
-- What:     validates "Group_createdBy_fkey" (scans "Group" once to prove every existing row
--           satisfies it), in its own transaction, after step 231 added it NOT VALID.
-- Requires: step 231.
-- Locks:    SHARE UPDATE EXCLUSIVE on "Group", ROW SHARE on "User": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "Group" VALIDATE CONSTRAINT "Group_createdBy_fkey";
