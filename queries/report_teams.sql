-- report_teams.sql: the team organizations of rule 3 (one per premium several users
-- hold; id 'mig_team_' || premium id, sql/300 team_organization_id), largest first:
-- premium, organization, OWNER, members, seats. $1 = how many. Read-only.
SELECT o."premiumId" AS premium_id,
       o.id          AS organization_id,
       o.name        AS organization_name,
       (SELECT string_agg(u.email, ', ' ORDER BY u.email) FROM "OrganizationMember" m JOIN "User" u ON u.id = m."userId"
         WHERE m."organizationId" = o.id AND m.role = 'OWNER') AS owner_emails,
       (SELECT count(*)::int FROM "OrganizationMember" m WHERE m."organizationId" = o.id) AS members,
       p."usedSeats" AS used_seats,
       p."maxSeats"  AS max_seats
FROM "Organization" o
LEFT JOIN "Premium" p ON p.id = o."premiumId"
WHERE o.id LIKE 'mig\_team\_%'
ORDER BY members DESC, o.id
LIMIT $1
