-- 112_create_organization_member_table.sql (undo)
-- What:     drops table "OrganizationMember" (undoes sql/112). Refuses while it holds
--           a membership the migration did not create, unless the session sets
--           emailai_migration.force = on.
-- Locks:    ACCESS EXCLUSIVE on "OrganizationMember", and on "User" and
--           "Organization" for an instant (its foreign keys are dropped with it).
-- Re-run:   safe.
-- transaction: yes
DO $$
DECLARE
  v_foreign integer;
BEGIN
  IF to_regclass('public."OrganizationMember"') IS NULL THEN
    RETURN;
  END IF;
  SELECT count(*) INTO v_foreign FROM public."OrganizationMember" m
  WHERE NOT EXISTS (SELECT 1 FROM emailai_migration.created_organization c
                    WHERE c.membership_id = m.id);
  IF v_foreign > 0 AND coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    RAISE EXCEPTION '% membership(s) in "OrganizationMember" were not created by the migration (the new app''s data); refusing to drop the table', v_foreign
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
  DROP TABLE public."OrganizationMember";
END $$;
