// The package's own functions: the data rules, the backfill's batches, the window
// triggers' functions and their probe, and rollback's. The triggers themselves are
// installed by 0004, once every role that writes the tables is proved able to fire
// them (the trigger list is lib/window-triggers.ts).
import { defineMigration } from '../lib/migration.ts';

export default defineMigration({
  up: [
    '311_index_user_premium_id.sql',
    '312_index_organization_premium_id.sql',
    '313_index_email_account_user_id.sql',
    '314_index_account_user_id.sql',
    '300_migration_rules.sql',
    '310_backfill_batches.sql',
    '319_window_trigger_probe.sql',
    '320_window_trigger_functions.sql',
    '330_rollback_functions.sql',
  ],
  down: [
    '330_rollback_functions.sql',
    '320_window_trigger_functions.sql',
    '319_window_trigger_probe.sql',
    '310_backfill_batches.sql',
    '300_migration_rules.sql',
    '314_index_account_user_id.sql',
    '313_index_email_account_user_id.sql',
    '312_index_organization_premium_id.sql',
    '311_index_user_premium_id.sql',
  ],
});
