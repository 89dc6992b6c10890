-- 230_add_rule_created_by_fkey.sql
-- What:     foreign key "Rule_createdBy_fkey": "Rule"("createdBy") -> "User"("id")
--           ON DELETE SET NULL ON UPDATE CASCADE, added NOT VALID: existing rows are
--           not scanned here (step 240 validates them without blocking writes);
--           new and updated rows are checked from now on.
-- Requires: both tables and the column.
-- Locks:    SHARE ROW EXCLUSIVE on "Rule" and "User" for an instant (no scan);
--           waits at most lock_timeout, then the runner retries with backoff.
-- Re-run:   safe (added only when no constraint of that name exists; one that
--           exists with another definition is reported by
--           checks/schema_objects_missing_or_different.sql and stops the phase).
-- Undo:     dropped with its table or column (see rollback/).
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                 WHERE conname = 'Rule_createdBy_fkey' AND conrelid = '"Rule"'::regclass) THEN
    ALTER TABLE "Rule" ADD CONSTRAINT "Rule_createdBy_fkey"
      FOREIGN KEY ("createdBy") REFERENCES "User" ("id")
      ON DELETE SET NULL ON UPDATE CASCADE NOT VALID;
  END IF;
END $$;
