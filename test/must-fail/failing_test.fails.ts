// Meant to fail: a suite with one failing assertion. test/harness.test.ts runs it
// through test/run.ts and asserts that the run exits non-zero.
import { dbSuite } from '../helpers.ts';
import * as assert from 'uvu/assert';

const s = dbSuite('must fail: a failing test');
s.test('one plus one is three', async db => {
  const [{ n }] = await db.sql`select 1 + 1 as n`;
  assert.is(n, 3);
});
s.run();
