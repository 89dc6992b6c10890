-- Check: inboxes ("EmailAccount") whose "organizationId" is NULL.
-- Why: the new app reaches an inbox only through its organization. An unlinked inbox disappears
--      for its owner after the deploy (its rules and history stay, unreachable). Inboxes the new app
--      created after `runner.ts handover` are its own (email_accounts_written_by_the_app_since_handover).
-- Replaces: runbook check 3: same test, returns the inboxes and their owners instead of a count
-- severity: error
-- Next: runner.ts repair --user {owner_user_id}
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT ea.id          AS email_account_id,
       ea.email       AS email_account_email,
       ea."userId"    AS owner_user_id,
       u.email        AS owner_email,
       ea."createdAt" AS email_account_created_at
FROM "EmailAccount" ea
LEFT JOIN "User" u ON u.id = ea."userId"
CROSS JOIN handover h
WHERE ea."organizationId" IS NULL
  AND (h.at IS NULL OR ea."createdAt" <= h.at)
ORDER BY ea."userId", ea.id;
