-- plan_after_schema.sql: what `backfill` will do, computed read-only from the rules of
-- sql/300 and sql/310 (the schema phase has run: the new tables and columns exist).
-- One row. $1 = how many premiums to list by seats, $2 = the batch size.
-- Mirrors the passes: 1 a personal organization for each user owning none; 2 every
-- unlinked inbox to its owner's home organization (earliest owned); 3 rule 3 through
-- its one definition, emailai_migration.premium_rule: a premium of one holder linked
-- to their home, of several to its team organization (created when missing); the new
-- app's links left alone; 4 seats = the members of that one organization; 5-8
-- createdBy set where NULL.
WITH owned AS (
  SELECT DISTINCT ON (m."userId") m."userId" AS user_id, m."organizationId" AS organization_id
  FROM "OrganizationMember" m JOIN "Organization" o ON o.id = m."organizationId"
  WHERE m.role = 'OWNER'
  ORDER BY m."userId", o."createdAt", o.id
), home AS (
  SELECT u.id AS user_id, u."premiumId" AS premium_id,
         coalesce(ow.organization_id, 'new:' || u.id) AS organization_id,
         ow.organization_id IS NULL AS new_organization
  FROM "User" u LEFT JOIN owned ow ON ow.user_id = u.id
), rule AS (
  -- Rule 3's one definition (sql/300 premium_rule): holders, owner, team or home.
  SELECT r.* FROM emailai_migration.premium_rule(ARRAY(SELECT id FROM "Premium")) r
), app_linked AS (
  -- Premiums some organization links without the registry knowing: the new app's, left alone.
  SELECT DISTINCT o."premiumId" AS premium_id FROM "Organization" o
  WHERE o."premiumId" IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM emailai_migration.linked_premium l WHERE l.organization_id = o.id AND l.premium_id = o."premiumId")
), premium_target AS (
  SELECT r.premium_id, r.team, r.holders, r.owner_user_id, r.owner_is_admin,
         coalesce(r.organization_id, 'new:' || r.owner_user_id) AS organization_id
  FROM rule r
  WHERE NOT EXISTS (SELECT 1 FROM app_linked a WHERE a.premium_id = r.premium_id)
), new_premium_link AS (
  SELECT pt.organization_id, pt.premium_id
  FROM premium_target pt LEFT JOIN "Organization" o ON o.id = pt.organization_id
  WHERE o."premiumId" IS DISTINCT FROM pt.premium_id
), seats AS (
  -- usedSeats = the members of the one organization: a team's holders (plus members the
  -- new app added to an existing team), a single holder's home's members (1 if new).
  SELECT pt.premium_id,
         CASE WHEN pt.team
              THEN pt.holders + (SELECT count(*)::int FROM "OrganizationMember" m
                                 WHERE m."organizationId" = pt.organization_id
                                   AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = m."userId" AND u."premiumId" = pt.premium_id))
              ELSE greatest(1, (SELECT count(*)::int FROM "OrganizationMember" m WHERE m."organizationId" = pt.organization_id)) END AS used_seats,
         p."emailAccountsAccess" AS seats_bought, p."usedSeats" AS used_seats_now, p."maxSeats" AS max_seats_now
  FROM premium_target pt JOIN "Premium" p ON p.id = pt.premium_id
  UNION ALL
  SELECT p.id, (SELECT count(DISTINCT m."userId")::int FROM "Organization" o JOIN "OrganizationMember" m ON m."organizationId" = o.id
                WHERE o."premiumId" = p.id),
         p."emailAccountsAccess", p."usedSeats", p."maxSeats"
  FROM "Premium" p JOIN app_linked a ON a.premium_id = p.id
), seat_plan AS (
  SELECT s.*, CASE WHEN s.seats_bought IS NULL THEN NULL ELSE greatest(s.seats_bought, s.used_seats) END AS max_seats
  FROM seats s
), team_plan AS (
  SELECT pt.premium_id, pt.owner_user_id, pt.owner_is_admin, sp.used_seats, sp.max_seats,
         (SELECT 1 FROM "Organization" o WHERE o.id = pt.organization_id) IS NULL AS new_organization
  FROM premium_target pt JOIN seat_plan sp ON sp.premium_id = pt.premium_id
  WHERE pt.team
), premium_users AS (
  SELECT p.id AS premium_id, p."emailAccountsAccess" AS seats_bought, count(u.id)::int AS users
  FROM "Premium" p LEFT JOIN "User" u ON u."premiumId" = p.id
  GROUP BY p.id
)
SELECT
  (SELECT count(*)::int FROM "User") AS users,
  (SELECT count(*)::int FROM home WHERE new_organization) AS organizations_to_create,
  (SELECT count(*)::int FROM home WHERE NOT new_organization) AS users_owning_organizations,
  (SELECT count(*)::int FROM "EmailAccount") AS email_accounts,
  (SELECT count(*)::int FROM "EmailAccount" WHERE "organizationId" IS NULL) AS email_accounts_to_link,
  (SELECT count(*)::int FROM "Premium") AS premiums,
  (SELECT count(*)::int FROM new_premium_link) AS premium_links_to_create,
  (SELECT count(DISTINCT premium_id)::int FROM new_premium_link) AS premiums_to_link,
  (SELECT count(*)::int FROM seat_plan
    WHERE used_seats_now IS DISTINCT FROM used_seats OR max_seats_now IS DISTINCT FROM max_seats) AS premium_seats_to_update,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'usedSeats', used_seats,
            'maxSeats', max_seats, 'emailAccountsAccess', seats_bought) ORDER BY used_seats DESC, premium_id), '[]')
     FROM (SELECT * FROM seat_plan ORDER BY used_seats DESC, premium_id LIMIT $1) top) AS seats_per_premium,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'users', users,
            'emailAccountsAccess', seats_bought) ORDER BY users - seats_bought DESC, premium_id), '[]')
     FROM premium_users WHERE users > seats_bought) AS customers_over_seats,
  (SELECT count(*)::int FROM premium_users WHERE users = 0) AS premiums_without_users,
  (SELECT count(*)::int FROM team_plan WHERE new_organization) AS team_organizations_to_create,
  (SELECT count(*)::int FROM team_plan) AS team_premiums,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'ownerUserId', owner_user_id,
            'ownerIsAdmin', owner_is_admin, 'members', used_seats, 'maxSeats', max_seats) ORDER BY used_seats DESC, premium_id), '[]')
     FROM (SELECT * FROM team_plan ORDER BY used_seats DESC, premium_id LIMIT $1) top) AS teams,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('userId', u.id, 'premiumId', u."premiumAdminId") ORDER BY u."premiumAdminId", u.id), '[]')
     FROM "User" u WHERE u."premiumAdminId" IS NOT NULL AND u."premiumId" IS DISTINCT FROM u."premiumAdminId") AS admins_not_holding,
  jsonb_build_object(
    'Rule', (SELECT count(*) FROM "Rule" WHERE "createdBy" IS NULL),
    'Group', (SELECT count(*) FROM "Group" WHERE "createdBy" IS NULL),
    'Knowledge', (SELECT count(*) FROM "Knowledge" WHERE "createdBy" IS NULL),
    'Category', (SELECT count(*) FROM "Category" WHERE "createdBy" IS NULL)) AS resources_without_creator,
  jsonb_build_object(
    'User', (SELECT count(*) FROM "User"), 'EmailAccount', (SELECT count(*) FROM "EmailAccount"),
    'Premium', (SELECT count(*) FROM "Premium"), 'Rule', (SELECT count(*) FROM "Rule"),
    'Group', (SELECT count(*) FROM "Group"), 'Knowledge', (SELECT count(*) FROM "Knowledge"),
    'Category', (SELECT count(*) FROM "Category")) AS driving_rows,
  $2::int AS batch_size
