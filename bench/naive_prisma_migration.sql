-- naive_prisma_migration.sql (benchmark only: NOT part of the migration)
-- What:     the schema change the way the app's own Prisma migrations would apply it
--           (`prisma migrate deploy` of 20250930165011_add_organizations_multi_tenant
--           and 20250930170000_add_shared_resources), sent as ONE plain transaction:
--           ALTER TABLE with no lock_timeout, plain CREATE INDEX, foreign keys
--           validated at once. `npm run bench -- --live` runs it under the old-app
--           workload as the "naive" side of the comparison with `runner.ts up`.
-- Locks:    ACCESS EXCLUSIVE on "EmailAccount", "Premium", "Rule", "Group",
--           "Knowledge", "Category" from their ALTER TABLE to COMMIT; SHARE ROW
--           EXCLUSIVE on "User" and "Premium" from the first foreign key to COMMIT;
--           each waits in the lock queue behind any open transaction, with every
--           later app query on that table queued behind it.
-- Re-run:   no (plain CREATE statements fail the second time), like Prisma's.
-- Undo:     none: benchmark databases are dropped.

-- ===== 20250930165011_add_organizations_multi_tenant =====

-- CreateEnum
CREATE TYPE "OrganizationRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');

-- AlterTable
ALTER TABLE "EmailAccount" ADD COLUMN "organizationId" TEXT;

-- AlterTable
ALTER TABLE "Premium" ADD COLUMN "maxSeats" INTEGER,
ADD COLUMN "usedSeats" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "Organization" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "domain" TEXT,
    "logoUrl" TEXT,
    "premiumId" TEXT,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationMember" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "role" "OrganizationRole" NOT NULL DEFAULT 'MEMBER',
    "userId" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,

    CONSTRAINT "OrganizationMember_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Organization_domain_key" ON "Organization"("domain");

-- CreateIndex
CREATE INDEX "Organization_slug_idx" ON "Organization"("slug");

-- CreateIndex
CREATE INDEX "OrganizationMember_organizationId_idx" ON "OrganizationMember"("organizationId");

-- CreateIndex
CREATE INDEX "OrganizationMember_userId_idx" ON "OrganizationMember"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationMember_userId_organizationId_key" ON "OrganizationMember"("userId", "organizationId");

-- CreateIndex
CREATE INDEX "EmailAccount_organizationId_idx" ON "EmailAccount"("organizationId");

-- AddForeignKey
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_premiumId_fkey" FOREIGN KEY ("premiumId") REFERENCES "Premium"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailAccount" ADD CONSTRAINT "EmailAccount_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ===== 20250930170000_add_shared_resources =====

-- AlterTable
ALTER TABLE "Rule" ADD COLUMN "createdBy" TEXT,
ADD COLUMN "isShared" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Group" ADD COLUMN "createdBy" TEXT,
ADD COLUMN "isShared" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Knowledge" ADD COLUMN "createdBy" TEXT,
ADD COLUMN "isShared" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Category" ADD COLUMN "createdBy" TEXT,
ADD COLUMN "isShared" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "Rule_emailAccountId_isShared_idx" ON "Rule"("emailAccountId", "isShared");

-- CreateIndex
CREATE INDEX "Rule_createdBy_idx" ON "Rule"("createdBy");

-- CreateIndex
CREATE INDEX "Group_emailAccountId_isShared_idx" ON "Group"("emailAccountId", "isShared");

-- CreateIndex
CREATE INDEX "Group_createdBy_idx" ON "Group"("createdBy");

-- CreateIndex
CREATE INDEX "Knowledge_emailAccountId_isShared_idx" ON "Knowledge"("emailAccountId", "isShared");

-- CreateIndex
CREATE INDEX "Knowledge_createdBy_idx" ON "Knowledge"("createdBy");

-- CreateIndex
CREATE INDEX "Category_emailAccountId_isShared_idx" ON "Category"("emailAccountId", "isShared");

-- CreateIndex
CREATE INDEX "Category_createdBy_idx" ON "Category"("createdBy");

-- AddForeignKey
ALTER TABLE "Rule" ADD CONSTRAINT "Rule_createdBy_fkey" FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_createdBy_fkey" FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Knowledge" ADD CONSTRAINT "Knowledge_createdBy_fkey" FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Category" ADD CONSTRAINT "Category_createdBy_fkey" FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
