-- status_counts.sql: the runbook's monitoring numbers (schema phase done), one row.
SELECT (SELECT count(*)::int FROM "Organization") AS organizations,
       (SELECT count(*)::int FROM "OrganizationMember") AS members,
       (SELECT count(*)::int FROM "User") AS users,
       (SELECT count(*)::int FROM "User" u WHERE EXISTS (
          SELECT 1 FROM "OrganizationMember" m WHERE m."userId" = u.id)) AS users_with_organization,
       (SELECT count(*)::int FROM "EmailAccount" WHERE "organizationId" IS NOT NULL) AS linked_email_accounts,
       (SELECT count(*)::int FROM "EmailAccount") AS email_accounts,
       (SELECT count(*)::int FROM "Premium" p WHERE EXISTS (
          SELECT 1 FROM "Organization" o WHERE o."premiumId" = p.id)
          AND EXISTS (SELECT 1 FROM "User" u WHERE u."premiumId" = p.id)) AS linked_premiums,
       (SELECT count(*)::int FROM "Premium" p WHERE EXISTS (
          SELECT 1 FROM "User" u WHERE u."premiumId" = p.id)) AS premiums_with_users,
       -- team organizations (rule 3) by their deterministic id (sql/300 team_organization_id)
       (SELECT count(*)::int FROM "Organization" WHERE id LIKE 'mig\_team\_%') AS team_organizations
