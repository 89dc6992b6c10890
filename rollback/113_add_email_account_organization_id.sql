-- 113_add_email_account_organization_id.sql (undo)
-- What:     drops "EmailAccount"."organizationId" (undoes sql/113, and with it
--           "EmailAccount_organizationId_idx" and "EmailAccount_organizationId_fkey").
--           Refuses while an inbox is linked other than the migration linked it (the
--           new app moved it) unless the session sets emailai_migration.force = on.
--           Lock first, then count, then DROP, in one transaction (see rollback/111):
--           an inbox linked after the count cannot exist.
-- Locks:    ACCESS EXCLUSIVE on "EmailAccount" (LOCK TABLE, under the runner's
--           lock_timeout, retried), held while counting the linked inboxes (an index
--           scan of "EmailAccount_organizationId_idx"; after `rollback --schema`'s data
--           passes there are none), and on "Organization" (the foreign key); the DROP is
--           metadata only (no rewrite).
-- Re-run:   safe.
-- transaction: yes
DO $$
DECLARE
  v_foreign integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'public."EmailAccount"'::regclass
                   AND attname = 'organizationId' AND NOT attisdropped) THEN
    RETURN;
  END IF;
  LOCK TABLE public."EmailAccount" IN ACCESS EXCLUSIVE MODE;
  IF coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    SELECT count(*) INTO v_foreign FROM public."EmailAccount" ea
    WHERE ea."organizationId" IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM emailai_migration.linked_email_account l
                      WHERE l.email_account_id = ea.id AND l.organization_id = ea."organizationId");
  END IF;
  IF v_foreign > 0 THEN
    RAISE EXCEPTION '% inbox(es) are linked to an organization other than the migration linked them (the new app''s data); refusing to drop "EmailAccount"."organizationId"', v_foreign
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop the column anyway.';
  END IF;
  ALTER TABLE public."EmailAccount" DROP COLUMN "organizationId";
END $$;
