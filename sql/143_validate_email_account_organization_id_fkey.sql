-- 143_validate_email_account_organization_id_fkey.sql
-- What:     validates "EmailAccount_organizationId_fkey" (scans "EmailAccount" once to prove every existing row
--           satisfies it), in its own transaction, after step 133 added it NOT VALID.
-- Requires: step 133.
-- Locks:    SHARE UPDATE EXCLUSIVE on "EmailAccount", ROW SHARE on "Organization": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "EmailAccount" VALIDATE CONSTRAINT "EmailAccount_organizationId_fkey";
