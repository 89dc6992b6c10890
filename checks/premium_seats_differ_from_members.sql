-- Check: organizations linked to a premium whose "usedSeats" differs from that organization's members, or whose "maxSeats" breaks rule 3.
-- Why: the new app recounts a premium's seats from the members of the one organization linked to
--      it on every member change and sends that number to Stripe / Lemon Squeezy; a count that
--      differs is a bill that changes at the next invitation, and "maxSeats" below the members
--      locks somebody out. "maxSeats" must be greatest("emailAccountsAccess", usedSeats), or NULL
--      (unlimited) when "emailAccountsAccess" is NULL; after the handover that part is checked only
--      for premiums the new app has not written since ("updatedAt", which Prisma sets), since its
--      billing may legitimately change the seats bought.
-- Replaces: runbook check 6 ("seat counts match members"), per organization on the real schema: joined through "Organization"."premiumId"; a premium linked to several organizations is premiums_linked_to_several_organizations
-- severity: error
-- Next: runner.ts repair --seats
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
),
linked AS (
  SELECT o.id          AS organization_id,
         o.name        AS organization_name,
         o."premiumId" AS premium_id,
         (SELECT count(*)::int FROM "OrganizationMember" m
           WHERE m."organizationId" = o.id) AS member_count
  FROM "Organization" o
  WHERE o."premiumId" IS NOT NULL
),
seats AS (
  SELECT p.id                    AS premium_id,
         p.tier                  AS tier,
         l.organization_id       AS organization_id,
         l.organization_name     AS organization_name,
         p."usedSeats"           AS used_seats,
         l.member_count          AS expected_used_seats,
         p."maxSeats"            AS max_seats,
         CASE WHEN p."emailAccountsAccess" IS NULL THEN NULL
              ELSE greatest(p."emailAccountsAccess", l.member_count) END AS expected_max_seats,
         p."emailAccountsAccess" AS seats_bought,
         (h.at IS NULL OR p."updatedAt" <= h.at) AS rule_applies
  FROM linked l
  JOIN "Premium" p ON p.id = l.premium_id
  CROSS JOIN handover h
)
SELECT s.premium_id          AS premium_id,
       s.tier                AS tier,
       s.organization_id     AS organization_id,
       s.organization_name   AS organization_name,
       s.used_seats          AS used_seats,
       s.expected_used_seats AS expected_used_seats,
       s.max_seats           AS max_seats,
       s.expected_max_seats  AS expected_max_seats,
       s.seats_bought        AS seats_bought,
       concat_ws(', ',
         CASE WHEN s.used_seats IS DISTINCT FROM s.expected_used_seats
              THEN 'usedSeats differs from members' END,
         CASE WHEN s.max_seats < s.used_seats
              THEN 'maxSeats below usedSeats' END,
         CASE WHEN s.max_seats < s.expected_used_seats
              THEN 'maxSeats below members' END,
         CASE WHEN s.rule_applies AND s.max_seats IS DISTINCT FROM s.expected_max_seats
              THEN 'maxSeats differs from rule 3' END) AS problem
FROM seats s
WHERE s.used_seats IS DISTINCT FROM s.expected_used_seats
   OR s.max_seats < s.used_seats
   OR s.max_seats < s.expected_used_seats
   OR (s.rule_applies AND s.max_seats IS DISTINCT FROM s.expected_max_seats)
ORDER BY s.premium_id, s.organization_id;
