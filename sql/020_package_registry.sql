-- 020_package_registry.sql
-- What:     the package's own schema, emailai_migration: the registry of what the
--           migration created or changed (so rollback touches only that: personal
--           organizations, team organizations and their memberships, inbox and
--           premium links), premiums the new app linked itself, the handover, the
--           backfill's checkpoints, and whether the window triggers are paused.
--           Nothing here is read by the application.
--           "What the migration wrote" (issue 16): an AFTER INSERT statement trigger
--           on created_organization copies, from the rows the same statement (or
--           transaction) just created, the organization's columns into
--           written_organization and its OWNER membership into created_membership.
--           So whoever registers an organization (sql/300 for personal ones, the
--           team organizations of sql/300-310, repair) gets its fingerprint taken at
--           creation without writing it twice. Memberships the migration adds to an
--           organization beyond its OWNER (a team's MEMBERs) are registered by their
--           writer in created_membership (membership id, organization, user, role),
--           and updated there when the migration itself changes them (a new OWNER
--           after the owner is deleted, repair restoring an OWNER).
--           Two readers of it, plpgsql so that they can be created before the app's
--           tables exist and survive until the registry is dropped (the guards of
--           rollback/111-112 run after sql/330's functions are gone):
--             organizations_edited_by_app(ids)  name, slug, domain, logoUrl other than
--                                                written; a premium the migration did
--                                                not link, or its link removed by the app
--             memberships_not_written(ids)      a membership of the organization the
--                                                migration did not write as it is now
--                                                (another user, another role, new row)
--           A membership the migration wrote and that is gone (its user deleted) is
--           not a change: nothing of the app's is lost by deleting the organization.
--           An organization registered before this version has no written_organization
--           row: its columns are not compared (the behaviour before issue 16).
-- Requires: nothing (the readers need "Organization"/"OrganizationMember" when called).
-- Locks:    none on app tables (new schema, new tables). Creating the trigger takes
--           SHARE ROW EXCLUSIVE on created_organization, once (only when missing).
-- Re-run:   safe (IF NOT EXISTS, CREATE OR REPLACE; the trigger only when missing).
-- Undo:     rollback/020_package_registry.sql, run by `ley down` once its history is
--           empty (the last migration undone); `runner.ts cleanup` drops the schema
--           once the new app is stable.
-- transaction: yes
-- squawk:   prefer-text-field: varchar(N) is the runbook's own definition of migration_log / Prisma's "_prisma_migrations" types.
-- squawk:   require-concurrent-index-creation: the index is created on a new, empty bookkeeping table in the same step as the table.
-- squawk:   prefer-robust-stmts: the trigger is created only when missing (DO block); squawk cannot see the guard.
-- squawk-ignore-file prefer-text-field, require-concurrent-index-creation, prefer-robust-stmts
CREATE SCHEMA IF NOT EXISTS emailai_migration;

-- Organizations (and their OWNER membership) the migration created.
CREATE TABLE IF NOT EXISTS emailai_migration.created_organization (
  organization_id text PRIMARY KEY,
  user_id         text NOT NULL,
  membership_id   text NOT NULL,
  created_by      text NOT NULL CHECK (created_by IN ('backfill', 'trigger', 'repair')),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS created_organization_user_id_idx
  ON emailai_migration.created_organization (user_id);

-- Inboxes the migration linked, and to which organization.
CREATE TABLE IF NOT EXISTS emailai_migration.linked_email_account (
  email_account_id text PRIMARY KEY,
  organization_id  text NOT NULL,
  linked_at        timestamptz NOT NULL DEFAULT now()
);

-- Premium links the migration made ("Organization"."premiumId").
CREATE TABLE IF NOT EXISTS emailai_migration.linked_premium (
  organization_id text PRIMARY KEY,
  premium_id      text NOT NULL,
  linked_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS linked_premium_premium_id_idx
  ON emailai_migration.linked_premium (premium_id);

-- Team organizations (SPEC rule 3): the one organization of a premium several users
-- hold, created by the migration (id team_organization_id(premium)). Kept apart from
-- created_organization on purpose: that table is "the personal organization of
-- user_id", which repair and the triggers read one row per user.
CREATE TABLE IF NOT EXISTS emailai_migration.team_organization (
  organization_id text PRIMARY KEY,
  premium_id      text NOT NULL UNIQUE,
  created_by      text NOT NULL CHECK (created_by IN ('backfill', 'trigger', 'repair')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- what the migration wrote into it: an edit by the new app is told from these
  -- (organizations_edited_by_app); NULL on a row registered before they existed
  name            text,
  slug            text
);
ALTER TABLE emailai_migration.team_organization ADD COLUMN IF NOT EXISTS name text;
ALTER TABLE emailai_migration.team_organization ADD COLUMN IF NOT EXISTS slug text;

-- The memberships the migration wrote into team organizations (OWNER and MEMBERs):
-- the ones it may remove again when a holder leaves the premium, and rollback's
-- "only what the migration wrote".
CREATE TABLE IF NOT EXISTS emailai_migration.team_membership (
  membership_id   text PRIMARY KEY,
  organization_id text NOT NULL,
  user_id         text NOT NULL
);
CREATE INDEX IF NOT EXISTS team_membership_organization_id_idx
  ON emailai_migration.team_membership (organization_id);

-- Premiums found linked by the new app (an organization the registry does not know):
-- rule 3 leaves them alone, and the window triggers read this instead of probing
-- "Organization" for every premium they touch.
CREATE TABLE IF NOT EXISTS emailai_migration.app_linked_premium (
  premium_id text PRIMARY KEY,
  found_at   timestamptz NOT NULL DEFAULT now()
);

-- The handover (SPEC phase 4): when it ran and whether the sign-up keeper stayed.
CREATE TABLE IF NOT EXISTS emailai_migration.handover (
  id                         boolean PRIMARY KEY DEFAULT true CHECK (id),
  handed_over_at             timestamptz NOT NULL DEFAULT now(),
  keep_signup_organizations  boolean NOT NULL
);

-- Keyset checkpoints of the backfill passes (an optimisation: every pass is
-- guarded, so a lost checkpoint costs time, never correctness).
CREATE TABLE IF NOT EXISTS emailai_migration.backfill_checkpoint (
  pass       text PRIMARY KEY,
  last_key   text,
  rows_done  bigint NOT NULL DEFAULT 0,
  finished   boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The window triggers paused (issue 19): a row here while a whole-database `rollback
-- --keep-orgs|--orgs` runs and after it, until the next backfill (sql/315) resumes them.
-- While paused the triggers of sql/320 give nobody an organization and link nothing
-- (rule 4's creator still follows), so nothing they write can race the rollback's
-- deletes or be left behind by it. Written by rollback/340, cleared by sql/315.
CREATE TABLE IF NOT EXISTS emailai_migration.window_pause (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  paused_at timestamptz NOT NULL DEFAULT now(),
  paused_by text NOT NULL
);

-- Schema migrations whose objects already existed (applied by the app's own
-- `prisma migrate deploy`): verified, not created, so `ley down` must not drop them.
CREATE TABLE IF NOT EXISTS emailai_migration.verified_only_migration (
  name        text PRIMARY KEY,
  verified_at timestamptz NOT NULL DEFAULT now()
);

-- Rows this package wrote into "_prisma_migrations" (schema --prisma-migrations).
CREATE TABLE IF NOT EXISTS emailai_migration.recorded_prisma_migration (
  id             varchar(36) PRIMARY KEY,
  migration_name varchar(255) NOT NULL
);

-- What the migration wrote into each organization it created (filled by the trigger
-- below, at creation). Goes with its registry row.
CREATE TABLE IF NOT EXISTS emailai_migration.written_organization (
  organization_id text PRIMARY KEY
    REFERENCES emailai_migration.created_organization (organization_id) ON DELETE CASCADE,
  name            text NOT NULL,
  slug            text NOT NULL,
  domain          text,
  logo_url        text
);

-- Every membership the migration wrote (OWNERs by the trigger below; a team's
-- MEMBERs by their writer), as written. Goes with its organization's registry row.
CREATE TABLE IF NOT EXISTS emailai_migration.created_membership (
  membership_id   text PRIMARY KEY,
  organization_id text NOT NULL
    REFERENCES emailai_migration.created_organization (organization_id) ON DELETE CASCADE,
  user_id         text NOT NULL,
  role            text NOT NULL
);
CREATE INDEX IF NOT EXISTS created_membership_organization_id_idx
  ON emailai_migration.created_membership (organization_id);

-- Each added row is looked up by its key (LATERAL … LIMIT 1: a probe the planner
-- cannot turn into a join). As a join, with its fixed guess of 1,000 rows for the
-- transition table, it merge-joined all of "Organization" and hashed all of
-- "OrganizationMember" for every batch (and every sign-up): a cost that grew with
-- the tables, per batch, and made the personal organizations pass quadratic.
CREATE OR REPLACE FUNCTION emailai_migration.remember_created_organizations()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO emailai_migration.written_organization (organization_id, name, slug, domain, logo_url)
  SELECT o.id, o.name, o.slug, o.domain, o."logoUrl"
  FROM added a
  CROSS JOIN LATERAL (SELECT x.id, x.name, x.slug, x.domain, x."logoUrl" FROM public."Organization" x
                      WHERE x.id = a.organization_id LIMIT 1) o
  ON CONFLICT (organization_id) DO UPDATE
    SET name = EXCLUDED.name, slug = EXCLUDED.slug, domain = EXCLUDED.domain, logo_url = EXCLUDED.logo_url;
  INSERT INTO emailai_migration.created_membership (membership_id, organization_id, user_id, role)
  SELECT m.id, m."organizationId", m."userId", m.role::text
  FROM added a
  CROSS JOIN LATERAL (SELECT x.id, x."organizationId", x."userId", x.role FROM public."OrganizationMember" x
                      WHERE x.id = a.membership_id LIMIT 1) m
  ON CONFLICT (membership_id) DO UPDATE
    SET organization_id = EXCLUDED.organization_id, user_id = EXCLUDED.user_id, role = EXCLUDED.role;
  RETURN NULL;
END $$;

-- A statement trigger with a transition table: one set-based copy per registering
-- statement (a backfill batch), fired after the statement, when the organizations and
-- memberships its sibling CTEs inserted are visible.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgrelid = 'emailai_migration.created_organization'::regclass
                   AND tgname = 'remember_created_organizations') THEN
    CREATE TRIGGER remember_created_organizations
      AFTER INSERT ON emailai_migration.created_organization
      REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION emailai_migration.remember_created_organizations();
  END IF;
END $$;

-- Organizations of p_ids (NULL: all) that the migration created and the new app has
-- since edited: name, slug, domain or logoUrl other than written; a premium the
-- migration did not link; or the migration's premium link removed by the app (the
-- premium still exists: a premium deleted takes its link with it, ON DELETE SET NULL,
-- and the migration's own unlinks delete their registry row). One row per
-- organization, with what changed.
CREATE OR REPLACE FUNCTION emailai_migration.organizations_edited_by_app(p_ids text[])
RETURNS TABLE (organization_id text, changes text[]) LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  WITH written AS (
    -- personal organizations (written: NULL for one registered before it existed) ...
    SELECT c.organization_id, w.organization_id IS NOT NULL AS known, w.name, w.slug, w.domain, w.logo_url
    FROM emailai_migration.created_organization c
    LEFT JOIN emailai_migration.written_organization w ON w.organization_id = c.organization_id
    UNION ALL
    -- ... and team organizations (rule 3), written with no domain and no logo
    SELECT t.organization_id, t.name IS NOT NULL, t.name, t.slug, NULL, NULL
    FROM emailai_migration.team_organization t
  )
  SELECT o.id, array_remove(ARRAY[
           CASE WHEN w.known AND (o.name, o.slug, o.domain, o."logoUrl")
                     IS DISTINCT FROM (w.name, w.slug, w.domain, w.logo_url) THEN 'columns' END,
           CASE WHEN o."premiumId" IS NOT NULL AND l.premium_id IS DISTINCT FROM o."premiumId" THEN 'premium'
                WHEN o."premiumId" IS NULL AND l.premium_id IS NOT NULL
                     AND EXISTS (SELECT 1 FROM public."Premium" p WHERE p.id = l.premium_id) THEN 'premium removed' END
         ], NULL)
  FROM public."Organization" o
  JOIN written w ON w.organization_id = o.id
  LEFT JOIN emailai_migration.linked_premium l ON l.organization_id = o.id
  WHERE (p_ids IS NULL OR o.id = ANY (p_ids))
    AND ((w.known AND (o.name, o.slug, o.domain, o."logoUrl")
                      IS DISTINCT FROM (w.name, w.slug, w.domain, w.logo_url))
         OR (o."premiumId" IS NOT NULL AND l.premium_id IS DISTINCT FROM o."premiumId")
         OR (o."premiumId" IS NULL AND l.premium_id IS NOT NULL
             AND EXISTS (SELECT 1 FROM public."Premium" p WHERE p.id = l.premium_id)));
END $$;

-- Memberships in organizations of p_ids (NULL: all) that the migration did not write
-- as they are now: a new row, or a registered one with another user, organization or
-- role. In an organization the migration created, each is a change by the new app;
-- elsewhere, simply the new app's membership.
CREATE OR REPLACE FUNCTION emailai_migration.memberships_not_written(p_ids text[])
RETURNS TABLE (membership_id text, organization_id text) LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT m.id, m."organizationId"
  FROM public."OrganizationMember" m
  LEFT JOIN emailai_migration.created_membership cm ON cm.membership_id = m.id
  WHERE (p_ids IS NULL OR m."organizationId" = ANY (p_ids))
    AND (cm.membership_id IS NULL
         OR (cm.organization_id, cm.user_id, cm.role) IS DISTINCT FROM (m."organizationId", m."userId", m.role::text))
    -- A team's memberships (rule 3) are the migration's as long as they join the same
    -- user to the same team; their role is the migration's to change (a new OWNER).
    AND NOT EXISTS (SELECT 1 FROM emailai_migration.team_membership tm
                    WHERE tm.membership_id = m.id AND tm.organization_id = m."organizationId" AND tm.user_id = m."userId");
END $$;
