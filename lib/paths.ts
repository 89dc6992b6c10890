// Where the package's files are, whatever the current directory.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SQL_DIR = join(PACKAGE_DIR, 'sql');
export const ROLLBACK_DIR = join(PACKAGE_DIR, 'rollback');
export const CHECKS_DIR = join(PACKAGE_DIR, 'checks');
export const MIGRATIONS_DIR = join(PACKAGE_DIR, 'migrations');
/** The runner's own read-only queries (plan, status, preflight, monitor, …). */
export const QUERIES_DIR = join(PACKAGE_DIR, 'lib', 'sql');
/** The handover's own SQL (phase 4): the sign-up keeper trigger. */
export const HANDOVER_DIR = join(PACKAGE_DIR, 'handover');
