// The window triggers: while the old app still writes, they apply the data rules to
// every row it writes. Before the first is installed, the gate proves that every
// role that writes the app's tables can fire each of them (lib/window-triggers.ts):
// a role that could not would see its sign-ups fail from this step on. Last, nothing
// of the package is left callable or readable by those roles (390).
import { defineMigration } from '../lib/migration.ts';
import { assertWindowTriggersFire } from '../lib/window-triggers.ts';

export default defineMigration({
  gate: assertWindowTriggersFire,
  up: [
    '321_window_trigger_user_inserted.sql',
    '322_window_trigger_user_premium_changed.sql',
    '323_window_trigger_email_account_written.sql',
    '324_window_trigger_rule_inserted.sql',
    '325_window_trigger_group_inserted.sql',
    '326_window_trigger_knowledge_inserted.sql',
    '327_window_trigger_category_inserted.sql',
    '390_package_privileges.sql',
  ],
  down: [
    '327_window_trigger_category_inserted.sql',
    '326_window_trigger_knowledge_inserted.sql',
    '325_window_trigger_group_inserted.sql',
    '324_window_trigger_rule_inserted.sql',
    '323_window_trigger_email_account_written.sql',
    '322_window_trigger_user_premium_changed.sql',
    '321_window_trigger_user_inserted.sql',
  ],
});
