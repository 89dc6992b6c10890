-- 111_create_organization_table.sql (undo)
-- What:     drops table "Organization" (undoes sql/111; its indexes and foreign keys
--           go with it). Refuses while it holds what the new app wrote: an
--           organization the migration did not create, or one it created that the app
--           has since edited (name, slug, domain, logoUrl, premium: sql/020's
--           organizations_edited_by_app; members were checked by rollback/112, which
--           runs first), unless the session sets emailai_migration.force = on
--           (`runner.ts rollback --schema --force`).
--           The lock comes first, then the count, then the DROP, in one transaction:
--           a write committed after the count cannot exist (writers wait for the lock,
--           then find the table gone and fail), so nothing the app committed is
--           dropped unseen.
-- Locks:    ACCESS EXCLUSIVE on "Organization" (LOCK TABLE, under the runner's
--           lock_timeout, retried), held while counting (a join of "Organization" with
--           the registry), and on "Premium" for an instant (the foreign key
--           "Organization_premiumId_fkey" is dropped with it).
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DO $$
DECLARE
  v_foreign integer := 0;
  v_edited integer := 0;
BEGIN
  IF to_regclass('public."Organization"') IS NULL THEN
    RETURN;
  END IF;
  LOCK TABLE public."Organization" IN ACCESS EXCLUSIVE MODE;
  IF coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    SELECT count(*) INTO v_foreign FROM public."Organization" o
    WHERE NOT EXISTS (SELECT 1 FROM emailai_migration.created_organization c
                      WHERE c.organization_id = o.id)
      AND NOT EXISTS (SELECT 1 FROM emailai_migration.team_organization t
                      WHERE t.organization_id = o.id);
    SELECT count(*) INTO v_edited FROM emailai_migration.organizations_edited_by_app(NULL);
  END IF;
  IF v_foreign + v_edited > 0 THEN
    RAISE EXCEPTION '% organization(s) in "Organization" were not created by the migration and % it created were since edited by the new app (the new app''s data); refusing to drop the table', v_foreign, v_edited
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
  DROP TABLE public."Organization";
END $$;
