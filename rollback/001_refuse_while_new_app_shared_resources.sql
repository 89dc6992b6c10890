-- 001_refuse_while_new_app_shared_resources.sql (guard of the undo of migrations/0002)
-- What:     stops `ley down` before it undoes anything when the undo of
--           migrations/0002 would drop what the new app wrote: a rule, group,
--           knowledge entry or category with "isShared" = true (the migration never
--           sets it; "createdBy" the new app never sets). Run by lib/ley-driver.ts
--           before the first undo of a `down` that includes 0002 (not when its objects
--           are the app's own), so a refusal drops nothing. Skipped when the session
--           sets emailai_migration.force = on. A pre-check without locks: a row shared
--           after it is caught by rollback/210-213 (lock, look, drop).
-- Requires: the columns of sql/210-213 (a table without them is skipped).
-- Locks:    none beyond ACCESS SHARE on "Rule", "Group", "Knowledge", "Category".
-- Re-run:   safe (read-only).
-- Undo:     none (changes nothing).
-- transaction: yes
DO $$
DECLARE
  v_table text;
  v_shared boolean;
  v_tables text[] := '{}';
BEGIN
  IF coalesce(current_setting('emailai_migration.force', true), '') = 'on' THEN
    RETURN;
  END IF;
  FOREACH v_table IN ARRAY ARRAY['Rule', 'Group', 'Knowledge', 'Category'] LOOP
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('public.%I', v_table)::regclass
               AND attname = 'isShared' AND NOT attisdropped) THEN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I WHERE "isShared")', v_table) INTO v_shared;
      IF v_shared THEN
        v_tables := v_tables || v_table;
      END IF;
    END IF;
  END LOOP;
  IF cardinality(v_tables) > 0 THEN
    RAISE EXCEPTION 'the new app shared resources the schema rollback would drop ("isShared" = true in %); nothing was dropped',
      array_to_string(v_tables, ', ')
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
END $$;
