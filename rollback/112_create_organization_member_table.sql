-- 112_create_organization_member_table.sql (undo)
-- What:     drops table "OrganizationMember" (undoes sql/112). Refuses while it holds
--           a membership the migration did not write as it is now (a new one, or one
--           whose user, organization or role changed: sql/020's
--           memberships_not_written), unless the session sets
--           emailai_migration.force = on. Lock first, then count, then DROP, in one
--           transaction (see rollback/111): no write can land between count and drop.
-- Locks:    ACCESS EXCLUSIVE on "OrganizationMember" (LOCK TABLE, under the runner's
--           lock_timeout, retried), held while counting, and on "User" and
--           "Organization" for an instant (its foreign keys are dropped with it).
-- Re-run:   safe.
-- transaction: yes
DO $$
DECLARE
  v_foreign integer := 0;
BEGIN
  IF to_regclass('public."OrganizationMember"') IS NULL THEN
    RETURN;
  END IF;
  LOCK TABLE public."OrganizationMember" IN ACCESS EXCLUSIVE MODE;
  IF coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    SELECT count(*) INTO v_foreign FROM emailai_migration.memberships_not_written(NULL);
  END IF;
  IF v_foreign > 0 THEN
    RAISE EXCEPTION '% membership(s) in "OrganizationMember" were not written by the migration as they are now (the new app''s data); refusing to drop the table', v_foreign
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
  DROP TABLE public."OrganizationMember";
END $$;
