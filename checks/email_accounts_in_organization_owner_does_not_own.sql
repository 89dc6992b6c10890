-- Check: inboxes linked to an organization in which the owner of the inbox ("EmailAccount"."userId") is not an OWNER member.
-- Why: tenant leak. Any member of an organization can open all its inboxes, so such an inbox is
--      readable by people its owner never let in (or its owner lost control of it). After `runner.ts
--      handover`, inboxes the new app wrote since ("updatedAt", set by Prisma) are its own: a member
--      sharing an inbox into an organization, an ownership transfer that keeps the organization
--      (email_accounts_written_by_the_app_since_handover, a warning).
-- Replaces: (new, not in the runbook)
-- severity: error
-- Next: runner.ts repair --user {owner_user_id}
-- Locks: none beyond ACCESS SHARE (read-only). Safe to run at any time.
WITH handover AS (
  SELECT min(l.started_at) AT TIME ZONE 'UTC' AS at
  FROM migration_log l
  WHERE l.migration_name = 'multi_tenant_handover' AND l.status = 'completed'
)
SELECT ea.id               AS email_account_id,
       ea.email            AS email_account_email,
       ea."userId"         AS owner_user_id,
       u.email             AS owner_email,
       ea."organizationId" AS organization_id,
       o.name              AS organization_name,
       coalesce((SELECT string_agg(m.role::text, ',' ORDER BY m.role)
                   FROM "OrganizationMember" m
                  WHERE m."userId" = ea."userId"
                    AND m."organizationId" = ea."organizationId"),
                'not a member') AS owner_role_in_organization,
       (SELECT string_agg(ou.email, ', ' ORDER BY ou.email)
          FROM "OrganizationMember" m
          JOIN "User" ou ON ou.id = m."userId"
         WHERE m."organizationId" = ea."organizationId"
           AND m.role = 'OWNER') AS organization_owner_emails
FROM "EmailAccount" ea
LEFT JOIN "User" u ON u.id = ea."userId"
LEFT JOIN "Organization" o ON o.id = ea."organizationId"
CROSS JOIN handover h
WHERE ea."organizationId" IS NOT NULL
  AND (h.at IS NULL OR ea."updatedAt" <= h.at)
  AND NOT EXISTS (
        SELECT 1
        FROM "OrganizationMember" om
        WHERE om."userId" = ea."userId"
          AND om."organizationId" = ea."organizationId"
          AND om.role = 'OWNER'
      )
ORDER BY ea."organizationId", ea.id;
