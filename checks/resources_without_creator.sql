-- Check: rules, groups, knowledge entries and categories whose "createdBy" is NULL.
-- Why: the new app shows a resource with no creator to every member of the organization of its inbox
--      (legacy = shared). The migration sets the inbox owner as creator so private stays private.
-- Replaces: (new, not in the runbook)
-- severity: error
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
SELECT r.resource          AS resource,
       r.resource_id       AS resource_id,
       r.resource_name     AS resource_name,
       r.email_account_id  AS email_account_id,
       ea.email            AS email_account_email,
       ea."userId"         AS inbox_owner_user_id
FROM (
  SELECT 'Rule'::text AS resource, t.id AS resource_id, t.name AS resource_name, t."emailAccountId" AS email_account_id
  FROM "Rule" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Group', t.id, t.name, t."emailAccountId"
  FROM "Group" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Knowledge', t.id, t.title, t."emailAccountId"
  FROM "Knowledge" t WHERE t."createdBy" IS NULL
  UNION ALL
  SELECT 'Category', t.id, t.name, t."emailAccountId"
  FROM "Category" t WHERE t."createdBy" IS NULL
) r
LEFT JOIN "EmailAccount" ea ON ea.id = r.email_account_id
ORDER BY r.resource, r.email_account_id, r.resource_id;
