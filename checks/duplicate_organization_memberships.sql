-- Check: more than one "OrganizationMember" row for the same (userId, organizationId).
-- Why: the app expects at most one role per user and organization (unique index
--      "OrganizationMember_userId_organizationId_key"). Duplicates make roles ambiguous and break seat counts.
-- Replaces: runbook check 5: same grouping, returns the users, organizations, roles and row ids
-- severity: error
-- Next: keep the earliest row of each (userId, organizationId) and delete the others (membership_ids lists them, earliest first), then runner.ts repair --seats
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH dup AS (
  SELECT om."userId"                                             AS user_id,
         om."organizationId"                                     AS organization_id,
         count(*)::int                                                AS membership_count,
         string_agg(om.role::text, ',' ORDER BY om."createdAt", om.id) AS roles,
         string_agg(om.id, ',' ORDER BY om."createdAt", om.id)         AS membership_ids
  FROM "OrganizationMember" om
  GROUP BY om."userId", om."organizationId"
  HAVING count(*) > 1
)
SELECT d.user_id          AS user_id,
       u.email            AS user_email,
       d.organization_id  AS organization_id,
       o.name             AS organization_name,
       d.membership_count AS membership_count,
       d.roles            AS roles,
       d.membership_ids   AS membership_ids
FROM dup d
LEFT JOIN "User" u ON u.id = d.user_id
LEFT JOIN "Organization" o ON o.id = d.organization_id
ORDER BY d.membership_count DESC, d.user_id, d.organization_id;
