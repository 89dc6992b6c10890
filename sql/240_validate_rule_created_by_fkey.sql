-- 240_validate_rule_created_by_fkey.sql
-- What:     validates "Rule_createdBy_fkey" (scans "Rule" once to prove every existing row
--           satisfies it), in its own transaction, after step 230 added it NOT VALID.
-- Requires: step 230.
-- Locks:    SHARE UPDATE EXCLUSIVE on "Rule", ROW SHARE on "User": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "Rule" VALIDATE CONSTRAINT "Rule_createdBy_fkey";
