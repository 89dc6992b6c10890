// The embedded default: a throwaway PostgreSQL 15 (or EMAILAI_TEST_PG_MAJOR's) under the OS temp dir that starts
// as root (the server then runs as the `postgres` OS user) and as a normal user, and
// leaves nothing behind.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import postgres from 'postgres';
import { embeddedMajor, startEmbedded } from '../dev/embedded.ts';
import { PACKAGE_DIR } from './helpers.ts';

const s = suite('embedded PostgreSQL');

function ancestors(dir: string): string[] {
  const out = [dir];
  while (dirname(out[out.length - 1]) !== out[out.length - 1]) out.push(dirname(out[out.length - 1]));
  return out;
}

s(`starts PostgreSQL ${embeddedMajor()} for the current OS user and removes its folder when stopped`, async () => {
  const before = new Set(readdirSync(tmpdir()).filter(f => f.startsWith('emailai-pg-')));
  const server = await startEmbedded();
  const created = readdirSync(tmpdir()).filter(f => f.startsWith('emailai-pg-') && !before.has(f));
  assert.is(created.length, 1, 'one data folder under the OS temp dir');
  const sql = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ version }] = await sql`select current_setting('server_version_num')::int as version`;
    const major = Number(embeddedMajor());
    assert.ok(version >= major * 10000 && version < (major + 1) * 10000, String(version));
  } finally {
    await sql.end();
    await server.stop();
  }
  assert.not.ok(existsSync(join(tmpdir(), created[0])), 'the folder is gone');
});

s('as root, a normal OS user (nobody) can run the suite on it too', async () => {
  if (userInfo().uid !== 0) {
    // Not root: the test above already ran as a normal user.
    return;
  }
  // nobody must be able to reach the package folder (a clone under /root is not).
  const blocked = ancestors(PACKAGE_DIR).find(dir => (statSync(dir).mode & 0o001) === 0);
  if (blocked) {
    console.log(`  (not run as nobody: ${blocked} is not reachable by other users)`);
    return;
  }
  const code = await new Promise<number | null>(resolve => {
    const child = spawn(process.execPath,
      [join(PACKAGE_DIR, 'node_modules/tsx/dist/cli.mjs'), '--import', './dev/exit-code-guard.ts', 'test/run.ts', 'test/harness_sanity.ts'],
      { cwd: PACKAGE_DIR, uid: 65534, gid: 65534, stdio: 'ignore',
        env: { PATH: process.env.PATH, HOME: tmpdir(), TMPDIR: tmpdir() } });
    child.on('close', resolve);
  });
  assert.is(code, 0, 'test/harness_sanity.ts as nobody');
});

s.run();
