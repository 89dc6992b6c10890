// The package's own objects: the data rules, the backfill's batch functions, and the
// window triggers that apply the rules to what the old app writes meanwhile.
import { defineMigration } from '../lib/migration.ts';

export default defineMigration({
  up: [
    '300_migration_rules.sql',
    '310_backfill_batches.sql',
    '320_window_trigger_functions.sql',
    '321_window_trigger_user_inserted.sql',
    '322_window_trigger_user_premium_changed.sql',
    '323_window_trigger_email_account_written.sql',
    '324_window_trigger_rule_inserted.sql',
    '325_window_trigger_group_inserted.sql',
    '326_window_trigger_knowledge_inserted.sql',
    '327_window_trigger_category_inserted.sql',
    '330_rollback_functions.sql',
  ],
  down: [
    '330_rollback_functions.sql',
    '327_window_trigger_category_inserted.sql',
    '326_window_trigger_knowledge_inserted.sql',
    '325_window_trigger_group_inserted.sql',
    '324_window_trigger_rule_inserted.sql',
    '323_window_trigger_email_account_written.sql',
    '322_window_trigger_user_premium_changed.sql',
    '321_window_trigger_user_inserted.sql',
    '320_window_trigger_functions.sql',
    '310_backfill_batches.sql',
    '300_migration_rules.sql',
  ],
});
