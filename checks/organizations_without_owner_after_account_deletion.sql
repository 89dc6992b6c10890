-- Check: organizations with no OWNER membership because their owner's account was deleted: a personal organization the migration made for a user who no longer exists, or after `runner.ts handover` a team organization.
-- Why: the old app's account deletion and the new app's account merge delete a user, and the
--      memberships go with them. During the window the migration deletes that user's empty personal
--      organization and gives a team its next holder as OWNER (rule 6); after the handover that is
--      the new app's job. Somebody should give these an OWNER (the app's member settings) or delete
--      the empty ones: listed, never an error.
-- Replaces: (new, not in the runbook)
-- app-behaviour: an account merge (or an account deletion) deleted the organization's owner
-- severity: warn
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
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
CROSS JOIN handover h
WHERE (   (o.id LIKE 'mig\_org\_%' AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = substr(o.id, length('mig_org_') + 1)))
       OR (o.id LIKE 'mig\_team\_%' AND h.at IS NOT NULL))
  AND NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."organizationId" = o.id
          AND om.role = 'OWNER'
      )
ORDER BY o."createdAt", o.id;
