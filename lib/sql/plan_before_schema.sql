-- plan_before_schema.sql: plan_after_schema.sql for a database where the schema phase
-- has not run: no organization exists, so every user gets one, every inbox is linked
-- to its owner's new organization, every user holding a premium links it to their
-- own organization, and every resource needs a creator. usedSeats/maxSeats are taken
-- as the defaults the schema phase adds (1, NULL). One row; $1 top N, $2 batch size
-- (unused here, kept so both files take the same parameters).
WITH premium_users AS (
  SELECT p.id AS premium_id, p."emailAccountsAccess" AS seats_bought, count(u.id)::int AS users
  FROM "Premium" p LEFT JOIN "User" u ON u."premiumId" = p.id
  GROUP BY p.id
), seat_plan AS (
  SELECT premium_id, users AS used_seats, seats_bought,
         CASE WHEN seats_bought IS NULL THEN NULL ELSE greatest(seats_bought, users) END AS max_seats
  FROM premium_users WHERE users > 0
)
SELECT
  (SELECT count(*)::int FROM "User") AS users,
  (SELECT count(*)::int FROM "User") AS organizations_to_create,
  0 AS users_owning_organizations,
  (SELECT count(*)::int FROM "EmailAccount") AS email_accounts,
  (SELECT count(*)::int FROM "EmailAccount") AS email_accounts_to_link,
  (SELECT count(*)::int FROM "Premium") AS premiums,
  (SELECT count(*)::int FROM "User" WHERE "premiumId" IS NOT NULL) AS premium_links_to_create,
  (SELECT count(DISTINCT "premiumId")::int FROM "User") AS premiums_to_link,
  (SELECT count(*)::int FROM seat_plan WHERE used_seats <> 1 OR max_seats IS NOT NULL) AS premium_seats_to_update,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'usedSeats', used_seats,
            'maxSeats', max_seats, 'emailAccountsAccess', seats_bought) ORDER BY used_seats DESC, premium_id), '[]')
     FROM (SELECT * FROM seat_plan ORDER BY used_seats DESC, premium_id LIMIT $1) top) AS seats_per_premium,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'users', users,
            'emailAccountsAccess', seats_bought) ORDER BY users - seats_bought DESC, premium_id), '[]')
     FROM premium_users WHERE users > seats_bought) AS customers_over_seats,
  (SELECT count(*)::int FROM premium_users WHERE users = 0) AS premiums_without_users,
  jsonb_build_object(
    'Rule', (SELECT count(*) FROM "Rule"), 'Group', (SELECT count(*) FROM "Group"),
    'Knowledge', (SELECT count(*) FROM "Knowledge"), 'Category', (SELECT count(*) FROM "Category")) AS resources_without_creator,
  jsonb_build_object(
    'User', (SELECT count(*) FROM "User"), 'EmailAccount', (SELECT count(*) FROM "EmailAccount"),
    'Premium', (SELECT count(*) FROM "Premium"), 'Rule', (SELECT count(*) FROM "Rule"),
    'Group', (SELECT count(*) FROM "Group"), 'Knowledge', (SELECT count(*) FROM "Knowledge"),
    'Category', (SELECT count(*) FROM "Category")) AS driving_rows,
  $2::int AS batch_size
