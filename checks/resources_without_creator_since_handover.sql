-- Check: rules, groups, knowledge entries and categories with "createdBy" NULL that the new app created, or whose inbox it wrote, after `runner.ts handover`.
-- Why: the new app never sets "createdBy" (its resources are shared with the organization by
--      design), and deleting a user (an account merge) sets "createdBy" NULL on what they created
--      (ON DELETE SET NULL). Normal after the deploy: listed so a person can see it, never an error.
-- Replaces: (new, not in the runbook)
-- app-behaviour: the new app creates rules, groups, knowledge and categories without "createdBy"; an account merge deletes a creator (ON DELETE SET NULL)
-- severity: warn
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
WHERE h.at IS NOT NULL
  AND (r.created_at > h.at OR ea."updatedAt" > h.at)
ORDER BY r.resource, r.email_account_id, r.resource_id;
