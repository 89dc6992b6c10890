-- Check: users with no "OrganizationMember" row at all (no organization, not even a personal one).
-- Why: the new app opens the default organization of a user (the earliest membership). A user without
--      one cannot reach any inbox, rule or billing page after the deploy.
-- Replaces: runbook check 1: "User" instead of users, NOT EXISTS instead of NOT IN, returns the users instead of a count
-- severity: error
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT u.id          AS user_id,
       u.email       AS user_email,
       u.name        AS user_name,
       u."premiumId" AS premium_id,
       u."createdAt" AS user_created_at
FROM "User" u
WHERE NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."userId" = u.id
      )
ORDER BY u."createdAt", u.id;
