-- diagnose_user.sql
-- What:  the runbook's "Users can't access email accounts" diagnosis for one user: their
--        memberships and roles, their inboxes and the organization each is linked to,
--        whether the user OWNS that organization, and the premium and seats behind
--        each organization. No row: no such user.
--        problems: 'no_organization' (no membership at all), 'unlinked_inbox',
--        'inbox_in_organization_not_owned' (a tenant leak: other members can open it).
-- Parameters: $1 the user's id or e-mail (e-mail compared case-insensitively).
-- Read-only. Locks: none beyond ACCESS SHARE.
WITH target AS (
  SELECT u.id, u.email, u.name, u."premiumId"
  FROM "User" u
  WHERE u.id = $1 OR lower(u.email) = lower($1)
  ORDER BY (u.id = $1) DESC
  LIMIT 1
),
memberships AS (
  SELECT om."organizationId" AS organization_id,
         o.name              AS organization_name,
         o.slug              AS organization_slug,
         om.role::text       AS role,
         om."createdAt"      AS member_since,
         o."premiumId"       AS premium_id,
         p.tier::text        AS premium_tier,
         p."usedSeats"       AS used_seats,
         p."maxSeats"        AS max_seats,
         (SELECT count(*) FROM "OrganizationMember" m WHERE m."organizationId" = o.id)::int AS member_count,
         row_number() OVER (ORDER BY om."createdAt", om.id) = 1 AS is_default
  FROM target t
  JOIN "OrganizationMember" om ON om."userId" = t.id
  JOIN "Organization" o ON o.id = om."organizationId"
  LEFT JOIN "Premium" p ON p.id = o."premiumId"
),
inboxes AS (
  SELECT ea.id                AS email_account_id,
         ea.email             AS email_account_email,
         ea."organizationId"  AS organization_id,
         o.name               AS organization_name,
         (SELECT string_agg(m.role::text, ',' ORDER BY m.role) FROM "OrganizationMember" m
           WHERE m."organizationId" = ea."organizationId" AND m."userId" = t.id) AS user_role,
         CASE WHEN ea."organizationId" IS NULL THEN 'unlinked_inbox'
              WHEN NOT EXISTS (SELECT 1 FROM "OrganizationMember" m
                                WHERE m."organizationId" = ea."organizationId"
                                  AND m."userId" = t.id AND m.role = 'OWNER')
                   THEN 'inbox_in_organization_not_owned'
         END AS problem
  FROM target t
  JOIN "EmailAccount" ea ON ea."userId" = t.id
  LEFT JOIN "Organization" o ON o.id = ea."organizationId"
)
SELECT t.id           AS user_id,
       t.email        AS user_email,
       t.name         AS user_name,
       t."premiumId"  AS user_premium_id,
       coalesce((SELECT json_agg(m ORDER BY m.member_since, m.organization_id) FROM memberships m), '[]') AS memberships,
       coalesce((SELECT json_agg(i ORDER BY i.email_account_id) FROM inboxes i), '[]')                    AS inboxes,
       array_remove(ARRAY[
         CASE WHEN NOT EXISTS (SELECT 1 FROM memberships) THEN 'no_organization' END,
         CASE WHEN EXISTS (SELECT 1 FROM inboxes WHERE problem = 'unlinked_inbox') THEN 'unlinked_inbox' END,
         CASE WHEN EXISTS (SELECT 1 FROM inboxes WHERE problem = 'inbox_in_organization_not_owned') THEN 'inbox_in_organization_not_owned' END
       ], NULL) AS problems
FROM target t;
