// Refusals (issue 17): a held package lock is a refusal for every command that takes
// it — exit 3, "nothing was changed", and nothing is — whichever command meets it.
import * as assert from 'uvu/assert';
import { dbSuite, runner } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { databaseSnapshot } from './snapshot.ts';
import { PACKAGE_LOCK_KEY } from '../lib/package-lock.ts';

/** Every command line that takes the package lock (and so must refuse while another session holds it). */
const LOCK_TAKERS: string[][] = [
  ['schema'],
  ['backfill'],
  ['up'],
  ['up', '--skip-preflight'],
  ['handover'],
  ['repair', '--seats'],
  ['repair', '--user', 'user_1'],
  ['rollback', '--keep-orgs'],
  ['rollback', '--orgs'],
  ['rollback', '--schema'],
  ['cleanup', '--force'],
];

const held = dbSuite('refusals: another session holds the package lock', async db => {
  await loadFixture(db.sql, { users: 30 });
  const r = await runner(db, ['up']);
  if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
});
for (const args of LOCK_TAKERS) {
  held.test(`${args.join(' ')} exits 3, "nothing was changed", and changes nothing`, async db => {
    const conn = await db.sql.reserve();
    try {
      await conn`select pg_advisory_lock(${PACKAGE_LOCK_KEY})`;
      const before = await databaseSnapshot(db.sql);
      const r = await runner(db, args);
      assert.is(r.code, 3, `exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /nothing was changed/);
      assert.match(r.stderr, /another (migration )?runner holds (the package lock|it)/);
      assert.not.match(r.stderr, /--debug for the stack trace/);
      assert.is(await databaseSnapshot(db.sql), before);
    } finally {
      await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`;
      conn.release();
    }
  });
}
held.run();
