-- 320_window_trigger_functions.sql
-- What:     the window triggers' functions: while the old app still writes (between
--           the schema phase and the new app's deploy), they apply the rules of
--           sql/300 to every row the old app writes, so nothing written during the
--           window is missed by the backfill:
--             user_inserted      a new user gets a personal organization (rule 1)
--                                and their premium follows rule 3
--             user_premium_changed  a changed "premiumId": both premiums follow rule 3
--                                (one holder -> their home; two -> the team
--                                organization is made and the link moves; back to
--                                one -> the team goes, the link moves home), seats
--             user_deleted       rule 6: the deleted user's personal organization
--                                goes when nothing else is in it; their premium
--                                follows rule 3 (a team gets its next holder as
--                                OWNER, or goes), seats follow
--             signup_keeper      only after `runner.ts handover
--                                --keep-signup-organizations`: a user committed
--                                without any membership gets a personal organization
--             email_account_written  a new inbox, or one whose owner changes, is
--                                linked to the owner's home organization (rule 2);
--                                on an owner change its resources' creator follows
--                                (rule 4)
--             resource_inserted  a rule/group/knowledge/category written without a
--                                creator gets its inbox's owner (rule 4)
--           Paused (issue 19): while emailai_migration.window_pause has its row (a
--           whole-database `rollback --keep-orgs|--orgs`, from its first step until
--           the next backfill), every function but resource_inserted creates,
--           links and deletes nothing (an inbox's resources still follow a new owner,
--           rule 4, which no rollback undoes). So an old-app write during a rollback
--           is never linked to an organization the rollback is deleting (it would
--           fail on the foreign key), and no organization or link made meanwhile is
--           left behind. One index probe of a one-row table per write.
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
-- Plans:    every function is SET plan_cache_mode = force_custom_plan, which holds for
--           the rules of sql/300 it calls and the foreign-key checks their writes
--           cause: each statement is planned for the tables as they are at that call.
--           An app connection lives for hours; without it PL/pgSQL keeps a generic
--           plan made when "Organization" was empty (sequential scans) while the
--           backfill grows it, until an ANALYZE replans it: 120-290 ms sign-ups and
--           plan changes in the first pass at 300,000 users. With it, the slowest app
--           write of the backfill took 190 ms (one job, 200 ms batches), 96 ms with
--           the defaults (test/roles.test.ts, "an app session open since the new
--           tables were empty"). The price is the planning: a plan change took 3.8 ms
--           instead of 2.9 ms (median, 20,000 users, plans cached after ANALYZE).
-- Requires: 020 (window_pause), 300.
--           Every function is SECURITY DEFINER with search_path pinned to pg_catalog,
--           pg_temp, every name schema-qualified: the app's role fires the triggers
--           without any right on schema emailai_migration.
-- Locks:    none (CREATE OR REPLACE FUNCTION).
-- Re-run:   safe.
-- Undo:     rollback/320_window_trigger_functions.sql; `runner.ts cleanup`.
-- transaction: yes

CREATE OR REPLACE FUNCTION emailai_migration.user_inserted()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
    RETURN NULL;
  END IF;
  PERFORM emailai_migration.create_personal_organizations(ARRAY[NEW.id], 'trigger');
  IF NEW."premiumId" IS NOT NULL THEN
    PERFORM emailai_migration.sync_premium_organizations(ARRAY[NEW."premiumId"], 'trigger', false);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION emailai_migration.user_premium_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF NEW."premiumId" IS NOT DISTINCT FROM OLD."premiumId"
     OR EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
    RETURN NULL;
  END IF;
  -- Both premiums, in one call: the old one's link is moved off an organization
  -- before the new one is linked to it. Premiums the new app linked are left alone.
  PERFORM emailai_migration.sync_premium_organizations(ARRAY[OLD."premiumId", NEW."premiumId"], 'trigger', false);
  RETURN NULL;
END $$;

-- Rule 6. Fires after the foreign keys' cascades (their triggers sort first by name):
-- the user's memberships and inboxes are gone already. Every lookup is an index probe.
CREATE OR REPLACE FUNCTION emailai_migration.user_deleted()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  v_organization_id text;
BEGIN
  -- Paused: the rollback deletes what is left (its lock order, organizations then
  -- members, would deadlock with ours, members then organization).
  IF EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
    RETURN NULL;
  END IF;
  -- The premium first: while this waits for the premium's lock, it holds no
  -- "Organization" row another sync of that premium may need to unlink.
  IF OLD."premiumId" IS NOT NULL THEN
    PERFORM emailai_migration.sync_premium_organizations(ARRAY[OLD."premiumId"], 'trigger', false);
  END IF;
  SELECT c.organization_id INTO v_organization_id
  FROM emailai_migration.created_organization c WHERE c.user_id = OLD.id;
  IF v_organization_id IS NOT NULL THEN
    -- Locked first: no inbox or member can be attached between the test and the delete.
    PERFORM 1 FROM public."Organization" o WHERE o.id = v_organization_id FOR UPDATE;
    DELETE FROM public."Organization" o
    WHERE o.id = v_organization_id
      AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m WHERE m."organizationId" = o.id)
      AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea."organizationId" = o.id);
    IF FOUND THEN
      DELETE FROM emailai_migration.created_organization c WHERE c.organization_id = v_organization_id;
      DELETE FROM emailai_migration.linked_premium l WHERE l.organization_id = v_organization_id;
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- The sign-up keeper (SPEC phase 4, opt-in): a deferred constraint trigger, so it
-- looks at the user when the app's transaction commits: a user the app gave a
-- membership in the same transaction (an invitation accepted) is left alone.
CREATE OR REPLACE FUNCTION emailai_migration.signup_keeper()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM emailai_migration.window_pause)
     AND EXISTS (SELECT 1 FROM public."User" u WHERE u.id = NEW.id)
     AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m WHERE m."userId" = NEW.id) THEN
    PERFORM emailai_migration.create_personal_organizations(ARRAY[NEW.id], 'trigger');
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION emailai_migration.email_account_written()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."userId" IS NOT DISTINCT FROM OLD."userId" THEN
      RETURN NEW;
    END IF;
    -- The owner changed (the old app moves an inbox to another user). Rule 4 follows
    -- the inbox: what its old owner was creator of (what the migration set) or what
    -- has no creator gets the new owner, so it stays private to whoever owns the
    -- inbox, and deleting the old owner later ("createdBy" is ON DELETE SET NULL)
    -- does not make it shared. Index probes on "emailAccountId".
    UPDATE public."Rule" SET "createdBy" = NEW."userId"
    WHERE "emailAccountId" = NEW.id AND ("createdBy" IS NULL OR "createdBy" = OLD."userId");
    UPDATE public."Group" SET "createdBy" = NEW."userId"
    WHERE "emailAccountId" = NEW.id AND ("createdBy" IS NULL OR "createdBy" = OLD."userId");
    UPDATE public."Knowledge" SET "createdBy" = NEW."userId"
    WHERE "emailAccountId" = NEW.id AND ("createdBy" IS NULL OR "createdBy" = OLD."userId");
    UPDATE public."Category" SET "createdBy" = NEW."userId"
    WHERE "emailAccountId" = NEW.id AND ("createdBy" IS NULL OR "createdBy" = OLD."userId");
    IF EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
      RETURN NEW;
    END IF;
    -- Relink only a link the migration made (or none), and
    -- only when the writer did not choose an organization itself.
    IF NEW."organizationId" IS DISTINCT FROM OLD."organizationId" THEN
      RETURN NEW;
    END IF;
    IF OLD."organizationId" IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM emailai_migration.linked_email_account l
         WHERE l.email_account_id = OLD.id AND l.organization_id = OLD."organizationId") THEN
      RETURN NEW;
    END IF;
  ELSIF NEW."organizationId" IS NOT NULL
        OR EXISTS (SELECT 1 FROM emailai_migration.window_pause) THEN
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
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF NEW."createdBy" IS NULL THEN
    -- The creator's "User" row is locked here (FOR KEY SHARE, what the check of the
    -- "createdBy" foreign key takes), before the check of "emailAccountId" locks the
    -- inbox's row: the order of the old app's account deletion, which locks the user,
    -- then its inboxes by cascade. In the other order the two deadlocked (seen once in
    -- the live test). A user deleted meanwhile leaves "createdBy" NULL, and the
    -- insert meets the app's own foreign key on "emailAccountId", as without us.
    SELECT u.id INTO NEW."createdBy"
    FROM public."EmailAccount" ea JOIN public."User" u ON u.id = ea."userId"
    WHERE ea.id = NEW."emailAccountId"
    FOR KEY SHARE OF u;
  END IF;
  RETURN NEW;
END $$;

REVOKE EXECUTE ON FUNCTION emailai_migration.user_inserted(), emailai_migration.user_premium_changed(),
  emailai_migration.user_deleted(), emailai_migration.signup_keeper(),
  emailai_migration.email_account_written(), emailai_migration.resource_inserted() FROM PUBLIC;
