-- Check: organizations linked to a premium ("Organization"."premiumId" = P) although none of their members holds P ("User"."premiumId").
-- Why: the organization gets a plan nobody in it pays for (a premium moved or was cancelled
--      after linking, or a wrong link). Billing should look before users notice.
-- Replaces: (new, not in the runbook)
-- severity: warn
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT o.id          AS organization_id,
       o.name        AS organization_name,
       o.slug        AS organization_slug,
       o."premiumId" AS premium_id,
       p.tier        AS tier,
       (SELECT count(*)::int FROM "OrganizationMember" m
         WHERE m."organizationId" = o.id) AS member_count,
       (SELECT string_agg(ou.email, ', ' ORDER BY ou.email)
          FROM "OrganizationMember" m
          JOIN "User" ou ON ou.id = m."userId"
         WHERE m."organizationId" = o.id
           AND m.role = 'OWNER')          AS owner_emails
FROM "Organization" o
LEFT JOIN "Premium" p ON p.id = o."premiumId"
WHERE o."premiumId" IS NOT NULL
  AND NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        JOIN "User" mu ON mu.id = om."userId"
        WHERE om."organizationId" = o.id
          AND mu."premiumId" = o."premiumId"
      )
ORDER BY o."premiumId", o.id;
