-- 111_create_organization_table.sql (undo)
-- What:     drops table "Organization" (undoes sql/111; its indexes and foreign keys
--           go with it). Refuses while it holds an organization the migration did
--           not create (the new app's data) unless the session sets
--           emailai_migration.force = on (`runner.ts rollback --schema --force`).
-- Locks:    ACCESS EXCLUSIVE on "Organization", and on "Premium" for an instant (the
--           foreign key "Organization_premiumId_fkey" is dropped with it).
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DO $$
DECLARE
  v_foreign integer;
BEGIN
  IF to_regclass('public."Organization"') IS NULL THEN
    RETURN;
  END IF;
  SELECT count(*) INTO v_foreign FROM public."Organization" o
  WHERE NOT EXISTS (SELECT 1 FROM emailai_migration.created_organization c
                    WHERE c.organization_id = o.id);
  IF v_foreign > 0 AND coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    RAISE EXCEPTION '% organization(s) in "Organization" were not created by the migration (the new app''s data); refusing to drop the table', v_foreign
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
  DROP TABLE public."Organization";
END $$;
