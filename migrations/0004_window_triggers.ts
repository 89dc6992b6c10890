// The window triggers (lib/window-triggers.ts): while the old app still writes, they
// apply the data rules to every row it writes. Before the first is installed, the gate
// proves that every role that writes the app's tables can fire each of them: a role
// that could not would see its sign-ups fail from this step on. Last, nothing of the
// package is left callable or readable by those roles (390).
import { defineMigration } from '../lib/migration.ts';
import { assertWindowTriggersFire, SIGNUP_KEEPER, WINDOW_TRIGGERS } from '../lib/window-triggers.ts';

export default defineMigration({
  gate: assertWindowTriggersFire,
  up: [
    ...WINDOW_TRIGGERS.map(t => t.install),
    '390_package_privileges.sql',
  ],
  down: [
    // The keeper exists only after `handover --keep-signup-organizations`; dropping
    // it is a no-op otherwise (IF EXISTS), and cleanup needs it gone.
    SIGNUP_KEEPER.drop,
    ...WINDOW_TRIGGERS.map(t => t.drop).reverse(),
  ],
});
