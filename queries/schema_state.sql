-- schema_state.sql: how much of the migration is already in this database.
SELECT to_regclass('public."Organization"') IS NOT NULL AS organization_table,
       to_regclass('public."OrganizationMember"') IS NOT NULL AS organization_member_table,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('public."EmailAccount"')
                 AND attname = 'organizationId' AND NOT attisdropped) AS email_account_organization_id,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('public."Rule"')
                 AND attname = 'createdBy' AND NOT attisdropped) AS rule_created_by,
       to_regnamespace('emailai_migration') IS NOT NULL AS package_schema,
       to_regproc('emailai_migration.backfill_batch') IS NOT NULL AS backfill_functions,
       to_regclass('public.migration_log') IS NOT NULL AS migration_log,
       to_regclass('public.migrations') IS NOT NULL AS ley_history,
       (SELECT count(*)::int FROM pg_trigger WHERE tgname LIKE 'emailai\_migration\_%' AND NOT tgisinternal) AS window_triggers
