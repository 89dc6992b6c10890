-- 110_create_organization_role_enum.sql (undo)
-- What:     drops enum "OrganizationRole" (undoes sql/110). Runs after the
--           "OrganizationMember" table that uses it is gone.
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP TYPE IF EXISTS "OrganizationRole";
