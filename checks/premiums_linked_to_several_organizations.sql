-- Check: premiums linked to more than one organization ("Organization"."premiumId").
-- Why: the new app recounts a premium's seats from one organization only and sends that number to
--      billing, so every other organization's members are unpaid (or the count jumps at the next
--      invitation), and its seat checks disagree between the organizations. Rule 3: one premium,
--      one organization (a team organization when several users hold it).
-- Replaces: runbook check 6, its "one organization per premium" half
-- severity: error
-- Next: keep the link of the organization rule 3 names (SELECT * FROM emailai_migration.premium_rule(ARRAY[premium_id])), set "premiumId" NULL on the others, then runner.ts repair --seats
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT o."premiumId"                                      AS premium_id,
       count(*)::int                                      AS organization_count,
       string_agg(o.id, ', ' ORDER BY o."createdAt", o.id) AS organization_ids,
       p."usedSeats"                                      AS used_seats,
       (SELECT count(*)::int FROM "User" u WHERE u."premiumId" = o."premiumId") AS holder_count
FROM "Organization" o
JOIN "Premium" p ON p.id = o."premiumId"
WHERE o."premiumId" IS NOT NULL
GROUP BY o."premiumId", p."usedSeats"
HAVING count(*) > 1
ORDER BY count(*) DESC, o."premiumId";
