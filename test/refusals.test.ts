// Refusals and usage errors (issue 17): a held package lock is a refusal for every
// command that takes it — exit 3, "nothing was changed", and nothing is — whichever
// command meets it; a flag the command does not own is a usage error (exit 2).
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

const usage = dbSuite('usage: each command owns its flags', async db => {
  await loadFixture(db.sql, { users: 30 });
  const r = await runner(db, ['schema']);
  if (r.code !== 0) throw new Error(`schema failed: ${r.stderr}`);
});
usage.test('an option another command owns (backfill --seats) is exit 2, naming both, and changes nothing', async db => {
  const before = await databaseSnapshot(db.sql);
  for (const [args, message] of [
    [['backfill', '--seats'], /backfill does not take --seats \(repair takes it\)/],
    [['repair', '--seats', '--restart'], /repair does not take --restart \(backfill, up take it\)/],
    [['verify', '--no-such-flag'], /verify does not take --no-such-flag; its options: --junit/],
    [['handover', '--batch-size', '0'], /--batch-size 0 is outside 1–20000 rows/],
    [['backfill', '--jobs', '9'], /--jobs 9 is outside 1–8 jobs/],
    [['handover', '--jobs', '2'], /handover does not take --jobs \(backfill, up take it\)/],
    [['status', '--watch'], /status: Option '--watch <value>' argument missing/],
  ] as [string[], RegExp][]) {
    const r = await runner(db, args);
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.is(await databaseSnapshot(db.sql), before);
});
usage.test('a flag the command owns still works (backfill --batch-size 7 --sleep-ms 0 --json)', async db => {
  const r = await runner(db, ['backfill', '--batch-size', '7', '--sleep-ms', '0', '--json']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const personal = doc.passes.find((p: { pass: string }) => p.pass === 'personal_organizations');
  assert.ok(personal.batches >= 5, `30 users in batches of 7: ${personal.batches} batch(es)`);
});
usage.run();
