-- 213_add_category_created_by_and_is_shared.sql (undo)
-- What:     drops "Category"."createdBy" and "Category"."isShared" (undoes sql/213, and with
--           them "Category_createdBy_idx", "Category_emailAccountId_isShared_idx" and
--           "Category_createdBy_fkey").
--           Refuses while a row has "isShared" = true (the migration never sets it: the
--           new app shared that category), unless the session sets
--           emailai_migration.force = on. Lock first, then look, then DROP, in one
--           transaction: a row shared meanwhile is seen, not dropped.
-- Locks:    ACCESS EXCLUSIVE on "Category" (LOCK TABLE, under the runner's lock_timeout,
--           retried), held while looking for a shared row (a scan of "Category" when there
--           is none), and on "User" (the foreign key); the DROP is metadata only.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   ban-drop-column: this is an undo: it drops only a column the schema phase added, which the old app never reads.
-- squawk-ignore-file ban-drop-column
DO $$
DECLARE
  v_shared boolean := false;
BEGIN
  LOCK TABLE public."Category" IN ACCESS EXCLUSIVE MODE;
  IF coalesce(current_setting('emailai_migration.force', true), '') <> 'on'
     AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public."Category"'::regclass
                 AND attname = 'isShared' AND NOT attisdropped) THEN
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM public."Category" WHERE "isShared")' INTO v_shared;
  END IF;
  IF v_shared THEN
    RAISE EXCEPTION 'rows of "Category" have "isShared" = true (the new app''s data); refusing to drop "Category"."isShared"'
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop the columns anyway.';
  END IF;
  ALTER TABLE public."Category" DROP COLUMN IF EXISTS "createdBy", DROP COLUMN IF EXISTS "isShared";
END $$;
