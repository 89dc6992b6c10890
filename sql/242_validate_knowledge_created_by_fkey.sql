-- 242_validate_knowledge_created_by_fkey.sql
-- What:     validates "Knowledge_createdBy_fkey" (scans "Knowledge" once to prove every existing row
--           satisfies it), in its own transaction, after step 232 added it NOT VALID.
-- Requires: step 232.
-- Locks:    SHARE UPDATE EXCLUSIVE on "Knowledge", ROW SHARE on "User": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "Knowledge" VALIDATE CONSTRAINT "Knowledge_createdBy_fkey";
