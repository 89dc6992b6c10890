-- 113_add_email_account_organization_id.sql (undo)
-- What:     drops "EmailAccount"."organizationId" (undoes sql/113, and with it
--           "EmailAccount_organizationId_idx" and "EmailAccount_organizationId_fkey").
--           Refuses while an inbox is linked other than the migration linked it (the
--           new app moved it) unless the session sets emailai_migration.force = on.
-- Locks:    ACCESS EXCLUSIVE on "EmailAccount" and "Organization", metadata only
--           (no rewrite); waits at most lock_timeout.
-- Re-run:   safe.
-- transaction: yes
DO $$
DECLARE
  v_foreign integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'public."EmailAccount"'::regclass
                   AND attname = 'organizationId' AND NOT attisdropped) THEN
    RETURN;
  END IF;
  SELECT count(*) INTO v_foreign FROM public."EmailAccount" ea
  WHERE ea."organizationId" IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM emailai_migration.linked_email_account l
                    WHERE l.email_account_id = ea.id AND l.organization_id = ea."organizationId");
  IF v_foreign > 0 AND coalesce(current_setting('emailai_migration.force', true), '') <> 'on' THEN
    RAISE EXCEPTION '% inbox(es) are linked to an organization other than the migration linked them (the new app''s data); refusing to drop "EmailAccount"."organizationId"', v_foreign
      USING HINT = 'Inspect them, then run `runner.ts rollback --schema --force` to drop the column anyway.';
  END IF;
  ALTER TABLE public."EmailAccount" DROP COLUMN "organizationId";
END $$;
