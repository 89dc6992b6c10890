-- 111_create_organization_table.sql
-- What:     table "Organization" (without its indexes and foreign keys: those are
--           the steps that follow, each lock-safe on its own).
-- Requires: nothing.
-- Locks:    none on app tables (a new, empty table).
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     rollback/111_create_organization_table.sql
-- squawk:   prefer-text-field/prefer-timestamp-tz/prefer-bigint-over-int are
--           ignored on purpose: the types are Prisma's (TIMESTAMP(3), text ids),
--           and the app's Prisma client and schema diff depend on them.
-- transaction: yes
-- squawk:   prefer-timestamp-tz: TIMESTAMP(3) / timestamp are the app's Prisma types and the runbook's migration_log definition.
-- squawk-ignore-file prefer-timestamp-tz
CREATE TABLE IF NOT EXISTS "Organization" (
  "id"        TEXT NOT NULL,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  "name"      TEXT NOT NULL,
  "slug"      TEXT NOT NULL,
  "domain"    TEXT,
  "logoUrl"   TEXT,
  "premiumId" TEXT,
  CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);
