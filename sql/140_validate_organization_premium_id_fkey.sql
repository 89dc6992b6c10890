-- 140_validate_organization_premium_id_fkey.sql
-- What:     validates "Organization_premiumId_fkey" (scans "Organization" once to prove every existing row
--           satisfies it), in its own transaction, after step 130 added it NOT VALID.
-- Requires: step 130.
-- Locks:    SHARE UPDATE EXCLUSIVE on "Organization", ROW SHARE on "Premium": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "Organization" VALIDATE CONSTRAINT "Organization_premiumId_fkey";
