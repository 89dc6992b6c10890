-- 110_create_organization_role_enum.sql
-- What:     enum "OrganizationRole" (OWNER, ADMIN, MEMBER, VIEWER).
-- Requires: nothing.
-- Locks:    none on tables.
-- Re-run:   safe (created only when absent; an existing type with other labels
--           is reported by checks/schema_objects_missing_or_different.sql, which
--           the runner runs before this phase and stops on).
-- Undo:     rollback/110_create_organization_role_enum.sql
-- transaction: yes
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'public' AND t.typname = 'OrganizationRole') THEN
    CREATE TYPE "OrganizationRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');
  END IF;
END $$;
