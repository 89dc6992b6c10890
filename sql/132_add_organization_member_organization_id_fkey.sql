-- 132_add_organization_member_organization_id_fkey.sql
-- What:     foreign key "OrganizationMember_organizationId_fkey": "OrganizationMember"("organizationId") -> "Organization"("id")
--           ON DELETE CASCADE ON UPDATE CASCADE, added NOT VALID: existing rows are
--           not scanned here (step 142 validates them without blocking writes);
--           new and updated rows are checked from now on.
-- Requires: both tables and the column.
-- Locks:    SHARE ROW EXCLUSIVE on "OrganizationMember" and "Organization" for an instant (no scan);
--           waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (added only when no constraint of that name exists; one that
--           exists with another definition is reported by
--           checks/schema_objects_missing_or_different.sql and stops the phase).
-- Undo:     dropped with its table or column (see rollback/).
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conname = 'OrganizationMember_organizationId_fkey' AND conrelid = '"OrganizationMember"'::regclass) THEN
    ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_organizationId_fkey"
      FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id")
      ON DELETE CASCADE ON UPDATE CASCADE NOT VALID;
  END IF;
END $$;
