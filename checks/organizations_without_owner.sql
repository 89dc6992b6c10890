-- Check: organizations with no OWNER membership.
-- Why: nobody can manage such an organization (members, billing, inboxes), and the migration links
--      inboxes and premiums only to organizations their user owns.
-- Replaces: runbook check 2: same test, returns the organizations (with member and inbox counts) instead of a count
-- severity: error
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT o.id          AS organization_id,
       o.name        AS organization_name,
       o.slug        AS organization_slug,
       o."premiumId" AS premium_id,
       o."createdAt" AS organization_created_at,
       (SELECT count(*)::int FROM "OrganizationMember" m
         WHERE m."organizationId" = o.id)  AS member_count,
       (SELECT count(*)::int FROM "EmailAccount" ea
         WHERE ea."organizationId" = o.id) AS email_account_count
FROM "Organization" o
WHERE NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."organizationId" = o.id
          AND om.role = 'OWNER'
      )
ORDER BY o."createdAt", o.id;
