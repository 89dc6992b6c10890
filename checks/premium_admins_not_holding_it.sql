-- Check: users who are the billing admin of a premium ("premiumAdminId") they do not hold ("premiumId").
-- Why: rule 3 gives a team organization's OWNER role only to an admin who also holds the premium;
--      an admin who does not hold it gets no membership in its organization, so billing should
--      review who manages that subscription.
-- Replaces: (new, not in the runbook)
-- severity: warn
-- Next: billing admins who do not hold their premium: no membership in its organization (rule 3), billing review
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT u.id                AS user_id,
       u.email             AS user_email,
       u."premiumAdminId"  AS premium_id,
       u."premiumId"       AS premium_held,
       o.id                AS premium_organization_id,
       o.name              AS premium_organization_name
FROM "User" u
LEFT JOIN "Organization" o ON o."premiumId" = u."premiumAdminId"
WHERE u."premiumAdminId" IS NOT NULL
  AND u."premiumId" IS DISTINCT FROM u."premiumAdminId"
ORDER BY u."premiumAdminId", u.id;
