-- 000_refuse_while_new_app_data.sql (guard of the undo of migrations/0001)
-- What:     stops `ley down` before it undoes anything when the undo of
--           migrations/0001 would meet what the new app wrote: an inbox linked other
--           than the migration linked it, a membership the migration did not write as
--           it is now, an organization it did not create, or one it created that the
--           new app has since edited (sql/020's readers). Run by lib/ley-driver.ts
--           before the first undo of a `down` that includes 0001 (not when 0001's
--           objects are the app's own: verified_only_migration), so that a refused
--           `ley down --all` / `rollback --schema` leaves every object in place, the
--           window triggers and "createdBy" included. Skipped when the session sets
--           emailai_migration.force = on.
--           A pre-check, without locks: a write committed after it is caught by the
--           guard of the step that drops its table (rollback/111-113 lock, count and
--           drop in one transaction), which then stops the down there.
-- Requires: the registry (sql/020) and the tables of 0001.
-- Locks:    none beyond ACCESS SHARE on "EmailAccount", "Organization",
--           "OrganizationMember" while counting.
-- Re-run:   safe (read-only).
-- Undo:     none (changes nothing).
-- transaction: yes
DO $$
DECLARE
  v_inboxes integer := 0;
  v_members integer := 0;
  v_foreign integer := 0;
  v_edited integer := 0;
BEGIN
  IF coalesce(current_setting('emailai_migration.force', true), '') = 'on'
     OR to_regclass('public."Organization"') IS NULL THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public."EmailAccount"'::regclass
             AND attname = 'organizationId' AND NOT attisdropped) THEN
    EXECUTE 'SELECT count(*) FROM public."EmailAccount" ea
             WHERE ea."organizationId" IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM emailai_migration.linked_email_account l
                               WHERE l.email_account_id = ea.id AND l.organization_id = ea."organizationId")'
      INTO v_inboxes;
  END IF;
  IF to_regclass('public."OrganizationMember"') IS NOT NULL THEN
    SELECT count(*) INTO v_members FROM emailai_migration.memberships_not_written(NULL);
  END IF;
  SELECT count(*) INTO v_foreign FROM public."Organization" o
  WHERE NOT EXISTS (SELECT 1 FROM emailai_migration.created_organization c WHERE c.organization_id = o.id)
    AND NOT EXISTS (SELECT 1 FROM emailai_migration.team_organization t WHERE t.organization_id = o.id);
  SELECT count(*) INTO v_edited FROM emailai_migration.organizations_edited_by_app(NULL);
  IF v_inboxes + v_members + v_foreign + v_edited > 0 THEN
    RAISE EXCEPTION 'the new app wrote data the schema rollback would drop: % inbox link(s), % membership(s), % organization(s) it created, % organization(s) of the migration it edited; nothing was dropped',
      v_inboxes, v_members, v_foreign, v_edited
      USING HINT = 'Inspect them (runner.ts rollback --orgs --dry-run lists them), then run `runner.ts rollback --schema --force` to drop them anyway.';
  END IF;
END $$;
