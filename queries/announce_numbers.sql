-- announce_numbers.sql
-- What:  the numbers the user announcements quote: users, organizations, inboxes (and how
--        many are linked), and from the package's registry what the migration itself did:
--        organizations created, inboxes linked, premiums linked. Needs schema
--        emailai_migration (gone after cleanup: announce before cleanup).
-- Read-only. Locks: none beyond ACCESS SHARE.
SELECT (SELECT count(*) FROM "User")::int                                          AS users,
       (SELECT count(*) FROM "Organization")::int                                  AS organizations,
       (SELECT count(*) FROM "EmailAccount")::int                                  AS inboxes,
       (SELECT count(*) FROM "EmailAccount" WHERE "organizationId" IS NOT NULL)::int AS inboxes_in_an_organization,
       (SELECT count(*) FROM emailai_migration.created_organization)::int          AS organizations_created,
       (SELECT count(*) FROM emailai_migration.linked_email_account)::int          AS inboxes_linked,
       (SELECT count(DISTINCT premium_id) FROM emailai_migration.linked_premium)::int AS premiums_linked;
