// The package's own objects: the data rules, the backfill's batch functions, and the
// window triggers that apply the rules to what the old app writes meanwhile (the
// trigger list is lib/window-triggers.ts).
import { defineMigration } from '../lib/migration.ts';
import { SIGNUP_KEEPER, WINDOW_TRIGGERS } from '../lib/window-triggers.ts';

export default defineMigration({
  up: [
    '311_index_user_premium_id.sql',
    '300_migration_rules.sql',
    '310_backfill_batches.sql',
    '320_window_trigger_functions.sql',
    ...WINDOW_TRIGGERS.map(t => t.install),
    '330_rollback_functions.sql',
  ],
  down: [
    '330_rollback_functions.sql',
    // The keeper exists only after `handover --keep-signup-organizations`; dropping
    // it is a no-op otherwise (IF EXISTS), and cleanup needs it gone.
    SIGNUP_KEEPER.drop,
    ...WINDOW_TRIGGERS.map(t => t.drop).reverse(),
    '320_window_trigger_functions.sql',
    '310_backfill_batches.sql',
    '300_migration_rules.sql',
    '311_index_user_premium_id.sql',
  ],
});
