// ley configuration: `npx ley up` / `npx ley down` in this folder.
// The connection comes from DATABASE_URL or the PG* variables (.env is read);
// EMAILAI_LOCK_TIMEOUT_MS, EMAILAI_LOCK_RETRIES and EMAILAI_INDEX_WAIT_MS tune the
// lock discipline. The driver is the package's own (lib/ley-driver.ts): see there
// for what it adds to ley (a lock, one transaction per step, CONCURRENTLY, retries).
import { register } from 'tsx/esm/api';

register();

export default async function config() {
  const driver = await import('./lib/ley-driver.ts');
  return { driver };
}
