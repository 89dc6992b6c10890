-- Check: organizations with no OWNER membership.
-- Why: nobody can manage such an organization (members, billing, inboxes), and the migration links
--      inboxes and premiums only to organizations their user owns. Left out (a warning,
--      organizations_without_owner_after_account_deletion): a personal organization the migration
--      made for a user who has since been deleted, and after `runner.ts handover` a team
--      organization whose OWNER the new app deleted (an account merge deletes the source user).
-- Replaces: runbook check 2: same test, returns the organizations (with member and inbox counts) instead of a count
-- severity: error
-- Next: give each organization an OWNER (the app's member settings), or if the migration created it and it is empty:
-- Next: runner.ts rollback --organization-id {organization_id}
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
WHERE NOT (   (o.id LIKE 'mig\_org\_%' AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = substr(o.id, length('mig_org_') + 1)))
       OR (o.id LIKE 'mig\_team\_%' AND h.at IS NOT NULL))
  AND NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."organizationId" = o.id
          AND om.role = 'OWNER'
      )
ORDER BY o."createdAt", o.id;
