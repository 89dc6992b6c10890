-- Check: users created after `runner.ts handover` who own no organization.
-- Why: the new app's sign-up creates no organization (it opens one when the user makes or joins
--      one), so this is the app's normal life, not the migration's work: listed, never an error.
--      `runner.ts handover --keep-signup-organizations` keeps a trigger that gives them one.
-- Replaces: (new, not in the runbook)
-- app-behaviour: the new app's sign-up creates no organization
-- severity: warn
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT u.id          AS user_id,
       u.email       AS user_email,
       u."createdAt" AS user_created_at,
       (SELECT count(*)::int FROM "OrganizationMember" m WHERE m."userId" = u.id) AS membership_count
FROM "User" u
CROSS JOIN handover h
WHERE h.at IS NOT NULL
  AND u."createdAt" > h.at
  AND NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."userId" = u.id
          AND om.role = 'OWNER'
      )
ORDER BY u."createdAt", u.id;
