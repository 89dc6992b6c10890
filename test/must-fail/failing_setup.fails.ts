// Meant to fail: the suite's setup throws. uvu would swallow an error thrown in a
// `before` hook and exit 0; dbSuite rethrows it in every test instead.
import { dbSuite } from '../helpers.ts';
import * as assert from 'uvu/assert';

const s = dbSuite('must fail: a failing setup', async db => {
  await db.sql`select * from a_table_that_does_not_exist`;
});
s.test('never reached with a working setup', async db => {
  assert.ok(db.name);
});
s.run();
