-- plan_before_schema.sql: plan_after_schema.sql for a database where the schema phase
-- has not run: no organization exists, so every user gets one, every inbox is linked
-- to its owner's new organization, every premium held by users is linked to one
-- organization (rule 3: the holder's, or a team organization for several), and
-- every resource needs a creator. usedSeats/maxSeats are taken
-- as the defaults the schema phase adds (1, NULL). One row; $1 top N, $2 batch size
-- (unused here, kept so both files take the same parameters).
WITH premium_users AS (
  SELECT p.id AS premium_id, p."emailAccountsAccess" AS seats_bought, count(u.id)::int AS users,
         (array_agg(u.id ORDER BY (u."premiumAdminId" IS NOT DISTINCT FROM u."premiumId") DESC, u."createdAt", u.id))[1] AS owner_user_id,
         coalesce(bool_or(u."premiumAdminId" IS NOT DISTINCT FROM u."premiumId"), false) AS owner_is_admin
  FROM "Premium" p LEFT JOIN "User" u ON u."premiumId" = p.id
  GROUP BY p.id
), seat_plan AS (
  -- Rule 3 as emailai_migration.premium_rule (sql/300) states it, written out here
  -- because the function does not exist before the schema phase: one holder -> their
  -- new personal organization (1 seat); several -> a new team organization with all
  -- of them (owner: the admin who holds it, earliest, else the earliest holder).
  SELECT premium_id, users AS used_seats, seats_bought, owner_user_id, owner_is_admin,
         CASE WHEN seats_bought IS NULL THEN NULL ELSE greatest(seats_bought, users) END AS max_seats
  FROM premium_users WHERE users > 0
), team_plan AS (
  SELECT * FROM seat_plan WHERE used_seats > 1
)
SELECT
  (SELECT count(*)::int FROM "User") AS users,
  (SELECT count(*)::int FROM "User") AS organizations_to_create,
  0 AS users_owning_organizations,
  (SELECT count(*)::int FROM "EmailAccount") AS email_accounts,
  (SELECT count(*)::int FROM "EmailAccount") AS email_accounts_to_link,
  (SELECT count(*)::int FROM "Premium") AS premiums,
  (SELECT count(DISTINCT "premiumId")::int FROM "User") AS premium_links_to_create,
  (SELECT count(DISTINCT "premiumId")::int FROM "User") AS premiums_to_link,
  (SELECT count(*)::int FROM seat_plan WHERE used_seats <> 1 OR max_seats IS NOT NULL) AS premium_seats_to_update,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'usedSeats', used_seats,
            'maxSeats', max_seats, 'emailAccountsAccess', seats_bought) ORDER BY used_seats DESC, premium_id), '[]')
     FROM (SELECT * FROM seat_plan ORDER BY used_seats DESC, premium_id LIMIT $1) top) AS seats_per_premium,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'users', users,
            'emailAccountsAccess', seats_bought) ORDER BY users - seats_bought DESC, premium_id), '[]')
     FROM premium_users WHERE users > seats_bought) AS customers_over_seats,
  (SELECT count(*)::int FROM premium_users WHERE users = 0) AS premiums_without_users,
  (SELECT count(*)::int FROM team_plan) AS team_organizations_to_create,
  (SELECT count(*)::int FROM team_plan) AS team_premiums,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('premiumId', premium_id, 'ownerUserId', owner_user_id,
            'ownerIsAdmin', owner_is_admin, 'members', used_seats, 'maxSeats', max_seats) ORDER BY used_seats DESC, premium_id), '[]')
     FROM (SELECT * FROM team_plan ORDER BY used_seats DESC, premium_id LIMIT $1) top) AS teams,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('userId', u.id, 'premiumId', u."premiumAdminId") ORDER BY u."premiumAdminId", u.id), '[]')
     FROM "User" u WHERE u."premiumAdminId" IS NOT NULL AND u."premiumId" IS DISTINCT FROM u."premiumAdminId") AS admins_not_holding,
  jsonb_build_object(
    'Rule', (SELECT count(*) FROM "Rule"), 'Group', (SELECT count(*) FROM "Group"),
    'Knowledge', (SELECT count(*) FROM "Knowledge"), 'Category', (SELECT count(*) FROM "Category")) AS resources_without_creator,
  jsonb_build_object(
    'User', (SELECT count(*) FROM "User"), 'EmailAccount', (SELECT count(*) FROM "EmailAccount"),
    'Premium', (SELECT count(*) FROM "Premium"), 'Rule', (SELECT count(*) FROM "Rule"),
    'Group', (SELECT count(*) FROM "Group"), 'Knowledge', (SELECT count(*) FROM "Knowledge"),
    'Category', (SELECT count(*) FROM "Category")) AS driving_rows,
  $2::int AS batch_size
