-- reference_single_statement.sql (benchmark only: NOT part of the migration)
-- What:     the backfill's work (SPEC data rules 1-4) as ONE un-batched set-based
--           statement per step, the reference the batched backfill (sql/310) is
--           measured against in `npm run bench`, and the data half of the "naive"
--           live run (after bench/naive_prisma_migration.sql, in one transaction).
--           Same rules, same rows as the backfill: it calls the same pure functions
--           of sql/300 for names, slugs and ids (and premium_rule for rule 3: its
--           team slugs take 8 characters when 6 are taken, one round only), writes
--           the same registry rows, and
--           picks the same winner of a slug collision (the smallest user id keeps
--           the 6-character suffix, the others get 8).
-- Requires: the schema phase's tables and columns, sql/020 (registry), sql/300.
-- Locks:    every row it writes, until the end of its transaction: that is the
--           point of the comparison (it blocks app writes to those rows meanwhile).
-- Re-run:   safe (guarded like the backfill), but not meant to be.
-- Each step starts at a `-- step: <name>` line; bench.ts runs one step at a time.

-- step: personal_organizations
WITH candidate AS (
  SELECT u.id AS user_id, u.name, u.email,
         emailai_migration.personal_organization_slug(u.email, u.id, 6) AS short_slug
  FROM "User" u
  WHERE NOT EXISTS (SELECT 1 FROM "OrganizationMember" m WHERE m."userId" = u.id AND m.role = 'OWNER')
), chosen AS (
  SELECT c.user_id,
         emailai_migration.personal_organization_id(c.user_id) AS organization_id,
         emailai_migration.personal_organization_name(c.name, c.email) AS name,
         CASE WHEN row_number() OVER (PARTITION BY c.short_slug ORDER BY c.user_id) = 1
                   AND NOT EXISTS (SELECT 1 FROM "Organization" o WHERE o.slug = c.short_slug)
              THEN c.short_slug
              ELSE emailai_migration.personal_organization_slug(c.email, c.user_id, 8) END AS slug
  FROM candidate c
), organizations AS (
  INSERT INTO "Organization" (id, "createdAt", "updatedAt", name, slug)
  SELECT organization_id, now(), now(), name, slug FROM chosen
  ON CONFLICT DO NOTHING
  RETURNING id
), members AS (
  INSERT INTO "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
  SELECT emailai_migration.personal_membership_id(c.user_id), now(), now(), 'OWNER', c.user_id, c.organization_id
  FROM chosen c JOIN organizations o ON o.id = c.organization_id
  ON CONFLICT DO NOTHING
  RETURNING "userId", "organizationId", id
)
INSERT INTO emailai_migration.created_organization (organization_id, user_id, membership_id, created_by)
SELECT "organizationId", "userId", id, 'backfill' FROM members
ON CONFLICT DO NOTHING;

-- step: email_account_links
WITH home AS (
  SELECT DISTINCT ON (m."userId") m."userId" AS user_id, m."organizationId" AS organization_id
  FROM "OrganizationMember" m JOIN "Organization" o ON o.id = m."organizationId"
  WHERE m.role = 'OWNER'
  ORDER BY m."userId", o."createdAt", o.id
), linked AS (
  UPDATE "EmailAccount" ea SET "organizationId" = h.organization_id
  FROM home h
  WHERE ea."userId" = h.user_id AND ea."organizationId" IS NULL
  RETURNING ea.id, ea."organizationId"
)
INSERT INTO emailai_migration.linked_email_account (email_account_id, organization_id)
SELECT id, "organizationId" FROM linked
ON CONFLICT (email_account_id) DO UPDATE SET organization_id = EXCLUDED.organization_id, linked_at = now();

-- step: premium_links
-- Rule 3 (emailai_migration.premium_rule): a premium of one holder is linked to their
-- home, a premium of several to a team organization made for it, with every holder a
-- member (OWNER: the first in owner order), created after each one's memberships.
WITH rule AS (
  SELECT r.* FROM emailai_migration.premium_rule(ARRAY(SELECT DISTINCT "premiumId" FROM "User" WHERE "premiumId" IS NOT NULL)) r
), owner AS (
  SELECT r.premium_id, r.organization_id, u.name, u.email
  FROM rule r JOIN "User" u ON u.id = r.owner_user_id
  WHERE r.team
), teams AS (
  INSERT INTO "Organization" (id, "createdAt", "updatedAt", name, slug)
  SELECT o.organization_id, now(), now(), emailai_migration.team_organization_name(o.name, o.email),
         CASE WHEN EXISTS (SELECT 1 FROM "Organization" x WHERE x.slug = emailai_migration.personal_organization_slug(o.email, o.organization_id, 6))
              THEN emailai_migration.personal_organization_slug(o.email, o.organization_id, 8)
              ELSE emailai_migration.personal_organization_slug(o.email, o.organization_id, 6) END
  FROM owner o
  ON CONFLICT DO NOTHING
  RETURNING id
), teams_recorded AS (
  INSERT INTO emailai_migration.team_organization (organization_id, premium_id, created_by)
  SELECT o.organization_id, o.premium_id, 'backfill' FROM owner o JOIN teams t ON t.id = o.organization_id
  RETURNING organization_id
), members AS (
  INSERT INTO "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
  SELECT emailai_migration.team_membership_id(r.premium_id, h.user_id),
         greatest(now()::timestamp(3), (SELECT max(m."createdAt") FROM "OrganizationMember" m WHERE m."userId" = h.user_id) + interval '1 millisecond'),
         now(), CASE WHEN h.n = 1 THEN 'OWNER' ELSE 'MEMBER' END::"OrganizationRole", h.user_id, r.organization_id
  FROM rule r JOIN teams t ON t.id = r.organization_id
  CROSS JOIN LATERAL unnest(r.holder_ids) WITH ORDINALITY AS h(user_id, n)
  RETURNING id, "organizationId", "userId"
), members_recorded AS (
  INSERT INTO emailai_migration.team_membership (membership_id, organization_id, user_id)
  SELECT id, "organizationId", "userId" FROM members
  RETURNING 1
), linked AS (
  UPDATE "Organization" o SET "premiumId" = r.premium_id
  FROM rule r
  WHERE o.id = r.organization_id AND o."premiumId" IS NULL AND NOT r.team
  RETURNING o.id, o."premiumId"
)
INSERT INTO emailai_migration.linked_premium (organization_id, premium_id)
SELECT id, "premiumId" FROM linked
ON CONFLICT (organization_id) DO UPDATE SET premium_id = EXCLUDED.premium_id, linked_at = now();

-- The team organizations the statement above inserted are linked by a second
-- statement of the same step (a statement does not see the rows its own CTEs insert).
WITH linked AS (
  UPDATE "Organization" o SET "premiumId" = t.premium_id
  FROM emailai_migration.team_organization t
  WHERE o.id = t.organization_id AND o."premiumId" IS NULL
  RETURNING o.id, o."premiumId"
)
INSERT INTO emailai_migration.linked_premium (organization_id, premium_id)
SELECT id, "premiumId" FROM linked
ON CONFLICT (organization_id) DO UPDATE SET premium_id = EXCLUDED.premium_id, linked_at = now();

-- step: premium_seats
WITH seats AS (
  SELECT o."premiumId" AS premium_id, count(DISTINCT m."userId")::integer AS used
  FROM "Organization" o JOIN "OrganizationMember" m ON m."organizationId" = o.id
  WHERE o."premiumId" IS NOT NULL
  GROUP BY o."premiumId"
)
UPDATE "Premium" p
SET "usedSeats" = s.used,
    "maxSeats" = CASE WHEN p."emailAccountsAccess" IS NULL THEN NULL ELSE greatest(p."emailAccountsAccess", s.used) END
FROM seats s
WHERE p.id = s.premium_id
  AND (p."usedSeats" IS DISTINCT FROM s.used
       OR p."maxSeats" IS DISTINCT FROM CASE WHEN p."emailAccountsAccess" IS NULL THEN NULL
                                             ELSE greatest(p."emailAccountsAccess", s.used) END);

-- step: rule_creators
UPDATE "Rule" r SET "createdBy" = ea."userId"
FROM "EmailAccount" ea
WHERE ea.id = r."emailAccountId" AND r."createdBy" IS NULL;

-- step: group_creators
UPDATE "Group" r SET "createdBy" = ea."userId"
FROM "EmailAccount" ea
WHERE ea.id = r."emailAccountId" AND r."createdBy" IS NULL;

-- step: knowledge_creators
UPDATE "Knowledge" r SET "createdBy" = ea."userId"
FROM "EmailAccount" ea
WHERE ea.id = r."emailAccountId" AND r."createdBy" IS NULL;

-- step: category_creators
UPDATE "Category" r SET "createdBy" = ea."userId"
FROM "EmailAccount" ea
WHERE ea.id = r."emailAccountId" AND r."createdBy" IS NULL;
