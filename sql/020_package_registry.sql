-- 020_package_registry.sql
-- What:     the package's own schema, emailai_migration: the registry of what the
--           migration created or changed (so rollback touches only that: personal
--           organizations, team organizations and their memberships, inbox and
--           premium links), premiums the new app linked itself, the handover, and
--           the backfill's checkpoints. Nothing here is read by the application.
-- Requires: nothing.
-- Locks:    none on app tables (new schema, new tables).
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     none by `ley down` (the registry is what rollback reads);
--           `runner.ts cleanup` drops the schema once the new app is stable.
-- transaction: yes
-- squawk:   prefer-text-field: varchar(N) is the runbook's own definition of migration_log / Prisma's "_prisma_migrations" types.
-- squawk:   require-concurrent-index-creation: the index is created on a new, empty bookkeeping table in the same step as the table.
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file prefer-text-field, require-concurrent-index-creation, require-lock-timeout, require-statement-timeout
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
  created_at      timestamptz NOT NULL DEFAULT now()
);

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
-- rule 3 leaves them alone, and the window triggers read this instead of scanning
-- "Organization" (its "premiumId" has no index).
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
