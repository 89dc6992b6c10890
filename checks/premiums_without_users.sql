-- Check: premiums that no user holds (no "User"."premiumId" points at them).
-- Why: the migration leaves them unlinked by design (no user, so no organization to link to). If
--      one is still an active subscription, somebody pays for nothing. Billing should look.
-- Replaces: runbook check 4 ("Premium"."organizationId" IS NULL), its other half: premiums without users are reported, not failed
-- severity: warn
-- Next: premiums left unlinked (no users): billing decides whether to cancel them
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH admins AS (
  SELECT u."premiumAdminId"                          AS premium_id,
         string_agg(u.email, ', ' ORDER BY u.email)  AS admin_emails
  FROM "User" u
  WHERE u."premiumAdminId" IS NOT NULL
  GROUP BY u."premiumAdminId"
),
linked AS (
  SELECT o."premiumId" AS premium_id,
         count(*)::int      AS organization_count
  FROM "Organization" o
  WHERE o."premiumId" IS NOT NULL
  GROUP BY o."premiumId"
)
SELECT p.id                                AS premium_id,
       p.tier                              AS tier,
       p."createdAt"                       AS premium_created_at,
       p."stripeSubscriptionStatus"        AS stripe_subscription_status,
       p."stripeCustomerId"                AS stripe_customer_id,
       p."lemonSubscriptionStatus"         AS lemon_subscription_status,
       p."lemonSqueezyCustomerId"          AS lemon_squeezy_customer_id,
       a.admin_emails                      AS admin_emails,
       coalesce(l.organization_count, 0)   AS linked_organization_count
FROM "Premium" p
LEFT JOIN admins a ON a.premium_id = p.id
LEFT JOIN linked l ON l.premium_id = p.id
WHERE NOT EXISTS (
        SELECT 1
        FROM "User" u
        WHERE u."premiumId" = p.id
      )
ORDER BY p."createdAt", p.id;
