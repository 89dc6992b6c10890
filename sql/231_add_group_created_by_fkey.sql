-- 231_add_group_created_by_fkey.sql
-- What:     foreign key "Group_createdBy_fkey": "Group"("createdBy") -> "User"("id")
--           ON DELETE SET NULL ON UPDATE CASCADE, added NOT VALID: existing rows are
--           not scanned here (step 241 validates them without blocking writes);
--           new and updated rows are checked from now on.
-- Requires: both tables and the column.
-- Locks:    SHARE ROW EXCLUSIVE on "Group" and "User" for an instant (no scan);
--           waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (added only when no constraint of that name exists; one that
--           exists with another definition is reported by
--           checks/schema_objects_missing_or_different.sql and stops the phase).
-- Undo:     dropped with its table or column (see rollback/).
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conname = 'Group_createdBy_fkey' AND conrelid = '"Group"'::regclass) THEN
    ALTER TABLE "Group" ADD CONSTRAINT "Group_createdBy_fkey"
      FOREIGN KEY ("createdBy") REFERENCES "User" ("id")
      ON DELETE SET NULL ON UPDATE CASCADE NOT VALID;
  END IF;
END $$;
