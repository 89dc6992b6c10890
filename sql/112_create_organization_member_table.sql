-- 112_create_organization_member_table.sql
-- What:     table "OrganizationMember" (indexes and foreign keys follow as steps).
-- Requires: 110 (the enum).
-- Locks:    none on app tables (a new, empty table, created without its foreign
--           keys, so it takes no SHARE ROW EXCLUSIVE on "User").
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     rollback/112_create_organization_member_table.sql
-- transaction: yes
-- squawk:   prefer-timestamp-tz: TIMESTAMP(3) / timestamp are the app's Prisma types and the runbook's migration_log definition.
-- squawk-ignore-file prefer-timestamp-tz
CREATE TABLE IF NOT EXISTS "OrganizationMember" (
  "id"             TEXT NOT NULL,
  "createdAt"      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt"      TIMESTAMP(3) NOT NULL,
  "role"           "OrganizationRole" NOT NULL DEFAULT 'MEMBER',
  "userId"         TEXT NOT NULL,
  "organizationId" TEXT NOT NULL,
  CONSTRAINT "OrganizationMember_pkey" PRIMARY KEY ("id")
);
