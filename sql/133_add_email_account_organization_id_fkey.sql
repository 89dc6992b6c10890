-- 133_add_email_account_organization_id_fkey.sql
-- What:     foreign key "EmailAccount_organizationId_fkey": "EmailAccount"("organizationId") -> "Organization"("id")
--           ON DELETE CASCADE ON UPDATE CASCADE, added NOT VALID: existing rows are
--           not scanned here (step 143 validates them without blocking writes);
--           new and updated rows are checked from now on.
-- Requires: both tables and the column.
-- Locks:    SHARE ROW EXCLUSIVE on "EmailAccount" and "Organization" for an instant (no scan);
--           waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (added only when no constraint of that name exists; one that
--           exists with another definition is reported by
--           checks/schema_objects_missing_or_different.sql and stops the phase).
-- Undo:     dropped with its table or column (see rollback/).
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conname = 'EmailAccount_organizationId_fkey' AND conrelid = '"EmailAccount"'::regclass) THEN
    ALTER TABLE "EmailAccount" ADD CONSTRAINT "EmailAccount_organizationId_fkey"
      FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id")
      ON DELETE CASCADE ON UPDATE CASCADE NOT VALID;
  END IF;
END $$;
