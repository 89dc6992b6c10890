-- 300_migration_rules.sql (undo)
-- What:     drops the rule functions of sql/300.
-- Locks:    none on tables.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
DROP FUNCTION IF EXISTS emailai_migration.link_premiums(text[]);
DROP FUNCTION IF EXISTS emailai_migration.sync_premium_organizations(text[], text, boolean);
DROP FUNCTION IF EXISTS emailai_migration.premium_rule_rows(jsonb);
DROP FUNCTION IF EXISTS emailai_migration.premium_rule(text[], text[]);
DROP FUNCTION IF EXISTS emailai_migration.team_membership_id(text, text);
DROP FUNCTION IF EXISTS emailai_migration.team_organization_id(text);
DROP FUNCTION IF EXISTS emailai_migration.team_organization_premium(text);
DROP FUNCTION IF EXISTS emailai_migration.recompute_seats(text[]);
DROP FUNCTION IF EXISTS emailai_migration.link_email_accounts(text, text);
DROP FUNCTION IF EXISTS emailai_migration.create_personal_organizations(text[], text);
DROP FUNCTION IF EXISTS emailai_migration.home_organization(text);
DROP FUNCTION IF EXISTS emailai_migration.home_organization_of(text);
DROP FUNCTION IF EXISTS emailai_migration.personal_membership_id(text);
DROP FUNCTION IF EXISTS emailai_migration.personal_organization_id(text);
DROP FUNCTION IF EXISTS emailai_migration.personal_organization_owner(text);
DROP FUNCTION IF EXISTS emailai_migration.personal_organization_slug(text, text, integer);
DROP FUNCTION IF EXISTS emailai_migration.personal_organization_name(text, text);
DROP FUNCTION IF EXISTS emailai_migration.organization_base_name(text, text);
DROP FUNCTION IF EXISTS emailai_migration.team_organization_name(text, text);
DROP FUNCTION IF EXISTS emailai_migration.clean_display_text(text);
