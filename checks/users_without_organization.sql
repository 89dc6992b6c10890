-- Check: users who own no organization (no OWNER membership; a personal one or any other), among the users the migration is responsible for.
-- Why: rule 1 gives every user who owns none a personal organization: their default organization
--      (the app opens the earliest membership) and the home of their inboxes. A team MEMBER who lost
--      their personal organization would land in the team, and their new inboxes nowhere.
--      Users created after `runner.ts handover` are the new app's (its sign-up creates no
--      organization): they are users_without_organization_since_handover, a warning.
-- Replaces: runbook check 1: "User" instead of users, NOT EXISTS instead of NOT IN, "owns none" instead of "has none", returns the users instead of a count
-- severity: error
-- Next: runner.ts repair --user {user_id}
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT u.id          AS user_id,
       u.email       AS user_email,
       u.name        AS user_name,
       u."premiumId" AS premium_id,
       u."createdAt" AS user_created_at,
       (SELECT count(*)::int FROM "OrganizationMember" m WHERE m."userId" = u.id) AS membership_count
FROM "User" u
CROSS JOIN handover h
WHERE NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."userId" = u.id
          AND om.role = 'OWNER'
      )
  AND (h.at IS NULL OR u."createdAt" <= h.at)
ORDER BY u."createdAt", u.id;
