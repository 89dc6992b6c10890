-- Check: premiums linked to an organization whose "usedSeats" differs from the distinct members of all organizations linked to it, or whose "maxSeats" is below the seats in use.
-- Why: the seat checks of the new app read "usedSeats"/"maxSeats" of the premium of the organization: a wrong
--      count blocks invitations or bills wrongly, and "maxSeats" below the members locks somebody out.
-- Replaces: runbook check 6: joined through "Organization"."premiumId" (not "Premium"."organizationId"), counts DISTINCT users across all organizations sharing the premium, also checks "maxSeats"
-- severity: error
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH linked AS (
  SELECT o."premiumId" AS premium_id,
         count(*)::int      AS organization_count
  FROM "Organization" o
  WHERE o."premiumId" IS NOT NULL
  GROUP BY o."premiumId"
),
members AS (
  SELECT o."premiumId"              AS premium_id,
         count(DISTINCT om."userId")::int AS member_count
  FROM "Organization" o
  JOIN "OrganizationMember" om ON om."organizationId" = o.id
  WHERE o."premiumId" IS NOT NULL
  GROUP BY o."premiumId"
),
seats AS (
  SELECT p.id                          AS premium_id,
         p.tier                        AS tier,
         l.organization_count          AS organization_count,
         p."usedSeats"                 AS used_seats,
         coalesce(m.member_count, 0)   AS expected_used_seats,
         p."maxSeats"                  AS max_seats,
         p."emailAccountsAccess"       AS seats_bought
  FROM "Premium" p
  JOIN linked l ON l.premium_id = p.id
  LEFT JOIN members m ON m.premium_id = p.id
)
SELECT s.premium_id          AS premium_id,
       s.tier                AS tier,
       s.organization_count  AS linked_organization_count,
       s.used_seats          AS used_seats,
       s.expected_used_seats AS expected_used_seats,
       s.max_seats           AS max_seats,
       s.seats_bought        AS seats_bought,
       concat_ws(', ',
         CASE WHEN s.used_seats IS DISTINCT FROM s.expected_used_seats
              THEN 'usedSeats differs from members' END,
         CASE WHEN s.max_seats < s.used_seats
              THEN 'maxSeats below usedSeats' END,
         CASE WHEN s.max_seats < s.expected_used_seats
              THEN 'maxSeats below members' END) AS problem
FROM seats s
WHERE s.used_seats IS DISTINCT FROM s.expected_used_seats
   OR s.max_seats < s.used_seats
   OR s.max_seats < s.expected_used_seats
ORDER BY s.premium_id;
