-- Check: premiums held by more users than the seats bought ("emailAccountsAccess").
-- Why: these customers use more seats than they pay for. The migration keeps them all working
--      ("maxSeats" is never set below the members), so billing must review them.
-- Replaces: (new, not in the runbook)
-- severity: warn
-- Next: customers over their seat count: billing review (maxSeats was raised to usedSeats)
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH holders AS (
  SELECT u."premiumId"                                    AS premium_id,
         count(*)::int                                         AS user_count,
         (array_agg(u.email ORDER BY u."createdAt", u.id))[1:5] AS first_user_emails
  FROM "User" u
  WHERE u."premiumId" IS NOT NULL
  GROUP BY u."premiumId"
)
SELECT p.id                                       AS premium_id,
       p.tier                                     AS tier,
       p."emailAccountsAccess"                    AS seats_bought,
       h.user_count                               AS user_count,
       h.user_count - p."emailAccountsAccess"     AS users_over_seats,
       p."usedSeats"                              AS used_seats,
       p."maxSeats"                               AS max_seats,
       array_to_string(h.first_user_emails, ', ') AS first_user_emails,
       p."stripeCustomerId"                       AS stripe_customer_id,
       p."lemonSqueezyCustomerId"                 AS lemon_squeezy_customer_id
FROM "Premium" p
JOIN holders h ON h.premium_id = p.id
WHERE p."emailAccountsAccess" IS NOT NULL
  AND h.user_count > p."emailAccountsAccess"
ORDER BY h.user_count - p."emailAccountsAccess" DESC, p.id;
