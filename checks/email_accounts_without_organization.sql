-- Check: inboxes ("EmailAccount") whose "organizationId" is NULL.
-- Why: the new app reaches an inbox only through its organization. An unlinked inbox disappears
--      for its owner after the deploy (its rules and history stay, unreachable).
-- Replaces: runbook check 3: same test, returns the inboxes and their owners instead of a count
-- severity: error
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT ea.id          AS email_account_id,
       ea.email       AS email_account_email,
       ea."userId"    AS owner_user_id,
       u.email        AS owner_email,
       ea."createdAt" AS email_account_created_at
FROM "EmailAccount" ea
LEFT JOIN "User" u ON u.id = ea."userId"
WHERE ea."organizationId" IS NULL
ORDER BY ea."userId", ea.id;
