-- Check: inboxes the new app wrote after `runner.ts handover` that are unlinked, or linked to an organization their owner does not own.
-- Why: the new app lets a member share an inbox into an organization they only belong to, keeps an
--      inbox's organization through an ownership transfer, and may create an inbox before its user
--      has any organization. Its normal life, not the migration's work: listed (who can read what),
--      never an error. The migration's own links stay checked by the error-level checks.
-- Replaces: (new, not in the runbook)
-- app-behaviour: the new app shares inboxes into organizations their owner only belongs to, transfers inbox ownership keeping the organization, and creates inboxes for users without an organization
-- severity: warn
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT ea.id               AS email_account_id,
       ea.email            AS email_account_email,
       ea."userId"         AS owner_user_id,
       ea."organizationId" AS organization_id,
       CASE WHEN ea."organizationId" IS NULL THEN 'no organization'
            ELSE coalesce((SELECT string_agg(m.role::text, ',' ORDER BY m.role)
                             FROM "OrganizationMember" m
                            WHERE m."userId" = ea."userId" AND m."organizationId" = ea."organizationId"),
                          'owner not a member') END AS owner_role_in_organization,
       ea."updatedAt"      AS email_account_updated_at
FROM "EmailAccount" ea
CROSS JOIN handover h
WHERE h.at IS NOT NULL
  AND ((ea."organizationId" IS NULL AND ea."createdAt" > h.at)
       OR (ea."organizationId" IS NOT NULL AND ea."updatedAt" > h.at
           AND NOT EXISTS (SELECT 1 FROM "OrganizationMember" om
                           WHERE om."userId" = ea."userId" AND om."organizationId" = ea."organizationId"
                             AND om.role = 'OWNER')))
ORDER BY ea."organizationId", ea.id;
