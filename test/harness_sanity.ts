// A suite that passes, on a real database: run by test/harness.test.ts to show the
// harness reports green when everything holds.
import * as assert from 'uvu/assert';
import { dbSuite } from './helpers.ts';

const s = dbSuite('harness sanity');
s.test('the test database answers', async db => {
  const [{ n }] = await db.sql`select 1 + 1 as n`;
  assert.is(n, 2);
});
s.run();
