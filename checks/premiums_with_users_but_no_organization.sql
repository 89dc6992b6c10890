-- Check: premiums that at least one user holds ("User"."premiumId") but no organization is linked to ("Organization"."premiumId").
-- Why: the new app reads plan and seats only through the premium of the organization, so these paying
--      users fall back to the free plan after the deploy.
-- Replaces: runbook check 4 ("Premium"."organizationId" IS NULL): the link is "Organization"."premiumId" (several organizations may share one premium), and premiums without users are legitimately unlinked (see premiums_without_users)
-- severity: error
-- Next: runner.ts repair --user {first_user_emails|first}
-- Next: (then runner.ts repair --seats)
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH holders AS (
  SELECT u."premiumId"                                    AS premium_id,
         count(*)::int                                         AS user_count,
         (array_agg(u.email ORDER BY u."createdAt", u.id))[1:5] AS first_user_emails
  FROM "User" u
  WHERE u."premiumId" IS NOT NULL
  GROUP BY u."premiumId"
)
SELECT p.id                         AS premium_id,
       p.tier                       AS tier,
       h.user_count                 AS user_count,
       array_to_string(h.first_user_emails, ', ') AS first_user_emails,
       p."emailAccountsAccess"      AS seats_bought,
       p."stripeSubscriptionStatus" AS stripe_subscription_status,
       p."lemonSubscriptionStatus"  AS lemon_subscription_status
FROM "Premium" p
JOIN holders h ON h.premium_id = p.id
WHERE NOT EXISTS (
        SELECT 1
        FROM "Organization" o
        WHERE o."premiumId" = p.id
      )
ORDER BY h.user_count DESC, p.id;
