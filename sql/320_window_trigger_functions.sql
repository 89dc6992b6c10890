-- 320_window_trigger_functions.sql
-- What:     the window triggers' functions: while the old app still writes (between
--           the schema phase and the new app's deploy), they apply the rules of
--           sql/300 to every row the old app writes, so nothing written during the
--           window is missed by the backfill:
--             user_inserted      a new user gets a personal organization (rule 1)
--                                and their premium is linked (rule 3)
--             user_premium_changed  a changed "premiumId" moves the link of the
--                                user's personal organization when the migration
--                                made that link; seats of both premiums follow
--             email_account_written  a new inbox, or one whose owner changes, is
--                                linked to the owner's home organization (rule 2)
--             resource_inserted  a rule/group/knowledge/category written without a
--                                creator gets its inbox's owner (rule 4)
-- Security: the old app writes these tables as a role of its own with DML rights
--           only, and has (and must have) no right on schema emailai_migration. So
--           every function here is SECURITY DEFINER: it runs as its owner, the
--           migrator, who owns the tables. Why that is safe:
--             - search_path is pinned to pg_catalog, pg_temp and every name is
--               schema-qualified: no object the writing role creates (a "User" in a
--               schema of its own, a function in pg_temp) can be picked up;
--             - no dynamic SQL: the functions read only NEW/OLD and fixed tables,
--               and write only what the rules of sql/300 say;
--             - they are trigger functions: callable only by a trigger, never from
--               SQL (PostgreSQL refuses a direct call), and EXECUTE is revoked from
--               PUBLIC anyway (sql/390); a trigger's function is run without an
--               EXECUTE check, so the app needs no grant to fire them.
--           preflight proves each role that writes these tables can fire each trigger
--           (SET ROLE inside a transaction that is rolled back), and the schema phase
--           proves it before it installs the triggers (lib/window-triggers.ts).
-- Requires: 300.
-- Locks:    none (CREATE OR REPLACE FUNCTION).
-- Re-run:   safe.
-- Undo:     rollback/320_window_trigger_functions.sql; `runner.ts cleanup`.
-- transaction: yes
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout

CREATE OR REPLACE FUNCTION emailai_migration.user_inserted()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_premium_ids text[];
BEGIN
  PERFORM emailai_migration.create_personal_organizations(ARRAY[NEW.id], 'trigger');
  IF NEW."premiumId" IS NOT NULL THEN
    v_premium_ids := emailai_migration.link_premiums(ARRAY[NEW.id]);
    PERFORM emailai_migration.recompute_seats(v_premium_ids);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION emailai_migration.user_premium_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_organization_id text;
  v_current text;
BEGIN
  IF NEW."premiumId" IS NOT DISTINCT FROM OLD."premiumId" THEN
    RETURN NULL;
  END IF;
  -- Only the personal organization the migration made, and only a link the
  -- migration made (or none): a link the new app made is the new app's business.
  SELECT c.organization_id, o."premiumId" INTO v_organization_id, v_current
  FROM emailai_migration.created_organization c
  JOIN public."Organization" o ON o.id = c.organization_id
  WHERE c.user_id = NEW.id;
  IF v_organization_id IS NULL THEN
    RETURN NULL; -- not backfilled yet: the backfill will link the new premium
  END IF;
  IF v_current IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM emailai_migration.linked_premium l
       WHERE l.organization_id = v_organization_id AND l.premium_id = v_current) THEN
    RETURN NULL;
  END IF;

  UPDATE public."Organization" SET "premiumId" = NEW."premiumId" WHERE id = v_organization_id;
  IF NEW."premiumId" IS NULL THEN
    DELETE FROM emailai_migration.linked_premium WHERE organization_id = v_organization_id;
  ELSE
    INSERT INTO emailai_migration.linked_premium (organization_id, premium_id)
    VALUES (v_organization_id, NEW."premiumId")
    ON CONFLICT (organization_id) DO UPDATE SET premium_id = EXCLUDED.premium_id, linked_at = now();
  END IF;
  PERFORM emailai_migration.recompute_seats(array_remove(ARRAY[OLD."premiumId", NEW."premiumId"], NULL));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION emailai_migration.email_account_written()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."userId" IS NOT DISTINCT FROM OLD."userId" THEN
      RETURN NEW;
    END IF;
    -- The owner changed. Relink only a link the migration made (or none), and
    -- only when the writer did not choose an organization itself.
    IF NEW."organizationId" IS DISTINCT FROM OLD."organizationId" THEN
      RETURN NEW;
    END IF;
    IF OLD."organizationId" IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM emailai_migration.linked_email_account l
         WHERE l.email_account_id = OLD.id AND l.organization_id = OLD."organizationId") THEN
      RETURN NEW;
    END IF;
  ELSIF NEW."organizationId" IS NOT NULL THEN
    RETURN NEW;
  END IF;

  NEW."organizationId" := emailai_migration.home_organization(NEW."userId");
  IF NEW."organizationId" IS NULL THEN
    PERFORM emailai_migration.create_personal_organizations(ARRAY[NEW."userId"], 'trigger');
    NEW."organizationId" := emailai_migration.home_organization(NEW."userId");
  END IF;
  IF NEW."organizationId" IS NOT NULL THEN
    INSERT INTO emailai_migration.linked_email_account (email_account_id, organization_id)
    VALUES (NEW.id, NEW."organizationId")
    ON CONFLICT (email_account_id) DO UPDATE SET organization_id = EXCLUDED.organization_id, linked_at = now();
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION emailai_migration.resource_inserted()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW."createdBy" IS NULL THEN
    SELECT ea."userId" INTO NEW."createdBy"
    FROM public."EmailAccount" ea WHERE ea.id = NEW."emailAccountId";
  END IF;
  RETURN NEW;
END $$;
