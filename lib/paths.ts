// Where the package's files are, whatever the current directory.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SQL_DIR = join(PACKAGE_DIR, 'sql');
export const ROLLBACK_DIR = join(PACKAGE_DIR, 'rollback');
export const CHECKS_DIR = join(PACKAGE_DIR, 'checks');
export const MIGRATIONS_DIR = join(PACKAGE_DIR, 'migrations');
/** The commands' own queries (plan, status, preflight, monitor, …) and the few writes of
 *  the runner's bookkeeping a DBA reviews with the steps (ley's history, the Prisma
 *  history row, repair --seats' batch, the checkpoint reset), each with its header. */
export const QUERIES_DIR = join(PACKAGE_DIR, 'queries');
/** The handover's own SQL (phase 4): the sign-up keeper trigger. */
export const HANDOVER_DIR = join(PACKAGE_DIR, 'handover');
