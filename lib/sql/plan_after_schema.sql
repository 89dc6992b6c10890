-- plan_after_schema.sql: what `backfill` will do, computed read-only from the rules of
-- sql/300 and sql/310 (the schema phase has run: the new tables and columns exist).
-- One row. $1 = how many premiums to list by seats, $2 = the batch size.
-- Mirrors the passes: 1 a personal organization for each user owning none; 2 every
-- unlinked inbox to its owner's home organization (earliest owned); 3 each home
-- organization without a premium gets the premium of its first user (by id) holding
-- one; 4 seats recomputed; 5-8 createdBy set where NULL.
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
), new_premium_link AS (
  SELECT DISTINCT ON (h.organization_id) h.organization_id, h.premium_id
  FROM home h LEFT JOIN "Organization" o ON o.id = h.organization_id
  WHERE h.premium_id IS NOT NULL AND o."premiumId" IS NULL
  ORDER BY h.organization_id, h.user_id
), organization_premium AS (
  SELECT id AS organization_id, "premiumId" AS premium_id FROM "Organization" WHERE "premiumId" IS NOT NULL
  UNION ALL
  SELECT organization_id, premium_id FROM new_premium_link
), member AS (
  SELECT "organizationId" AS organization_id, "userId" AS user_id FROM "OrganizationMember"
  UNION ALL
  SELECT organization_id, user_id FROM home WHERE new_organization
), seats AS (
  SELECT p.id AS premium_id, count(DISTINCT mb.user_id)::int AS used_seats,
         p."emailAccountsAccess" AS seats_bought, p."usedSeats" AS used_seats_now, p."maxSeats" AS max_seats_now
  FROM "Premium" p
  JOIN organization_premium op ON op.premium_id = p.id
  JOIN member mb ON mb.organization_id = op.organization_id
  GROUP BY p.id
), seat_plan AS (
  SELECT s.*, CASE WHEN s.seats_bought IS NULL THEN NULL ELSE greatest(s.seats_bought, s.used_seats) END AS max_seats
  FROM seats s
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
