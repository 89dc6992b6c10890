-- 141_validate_organization_member_user_id_fkey.sql
-- What:     validates "OrganizationMember_userId_fkey" (scans "OrganizationMember" once to prove every existing row
--           satisfies it), in its own transaction, after step 131 added it NOT VALID.
-- Requires: step 131.
-- Locks:    SHARE UPDATE EXCLUSIVE on "OrganizationMember", ROW SHARE on "User": reads and
--           writes of the app go on during the scan.
-- Re-run:   safe (validating a valid constraint is a no-op).
-- Undo:     none needed (rollback/ drops the constraint with its table or column).
-- transaction: yes
ALTER TABLE "OrganizationMember" VALIDATE CONSTRAINT "OrganizationMember_userId_fkey";
