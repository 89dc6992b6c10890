-- Check: rules, groups, knowledge entries and categories whose "createdBy" is NULL, among those the migration is responsible for.
-- Why: the new app shows a resource with no creator to every member of the organization of its inbox
--      (legacy = shared). The migration sets the inbox owner as creator so private stays private.
--      After `runner.ts handover` the new app's own life is left out (resources_without_creator_since_handover,
--      a warning): what it creates (it never sets "createdBy"), and resources of inboxes it wrote since
--      (an ownership transfer or an account merge: "createdBy" is ON DELETE SET NULL).
-- Replaces: (new, not in the runbook)
-- severity: error
-- Next: set "createdBy" to the inbox owner (inbox_owner_user_id) on these rows; a code path of the new app creates resources without a creator
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT r.resource          AS resource,
       r.resource_id       AS resource_id,
       r.resource_name     AS resource_name,
       r.email_account_id  AS email_account_id,
       ea.email            AS email_account_email,
       ea."userId"         AS inbox_owner_user_id,
       r.created_at        AS resource_created_at
FROM (
  SELECT 'Rule'::text AS resource, t.id AS resource_id, t.name AS resource_name, t."emailAccountId" AS email_account_id, t."createdAt" AS created_at
  FROM "Rule" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Group', t.id, t.name, t."emailAccountId", t."createdAt"
  FROM "Group" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Knowledge', t.id, t.title, t."emailAccountId", t."createdAt"
  FROM "Knowledge" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Category', t.id, t.name, t."emailAccountId", t."createdAt"
  FROM "Category" t WHERE t."createdBy" IS NULL
) r
LEFT JOIN "EmailAccount" ea ON ea.id = r.email_account_id
CROSS JOIN handover h
WHERE h.at IS NULL
   OR (r.created_at <= h.at AND (ea.id IS NULL OR ea."updatedAt" <= h.at))
ORDER BY r.resource, r.email_account_id, r.resource_id;
