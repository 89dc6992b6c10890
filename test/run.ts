// `npm test`: starts one PostgreSQL for the whole run (embedded, unless
// TEST_DATABASE_URL names a server), then runs every test/**/*.test.ts in its own
// process (uvu), one after the other. A file fails when its process exits non-zero,
// when uvu reports a failed test, or when it ran no test at all (a setup that died
// before the first test). The run exits 1 if any file failed.
//   npm test                      every suite
//   npm test -- test/x.test.ts    the named files
//   EMAILAI_TEST_PG_MAJOR=13 npm test -- …   on the embedded PostgreSQL 13 (or 18; 15 by default)
// The run prints the server's version and refuses to go on when the embedded
// server's major is not the one asked for (a wrong nested binary would otherwise
// pass CI on 15 while it claims 13).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { embeddedMajor, startEmbedded, type EmbeddedServer } from '../dev/embedded.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const GUARD = join(ROOT, 'dev/exit-code-guard.ts');

function findTests(dir: string): string[] {
  return readdirSync(dir).sort().flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' || name === 'must-fail' ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

export interface FileResult {
  file: string;
  code: number | null;
  total: number;
  passed: number;
  ok: boolean;
  ms: number;
}

export function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileResult> {
  const started = performance.now();
  return new Promise(resolve => {
    const child = spawn(process.execPath, [TSX, '--import', GUARD, file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', d => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', code => {
      // uvu's summary: "Total: N", "Passed: N" (colours stripped).
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(plain.match(/Total:\s+(\d+)/)?.[1] ?? 0);
      const passed = Number(plain.match(/Passed:\s+(\d+)/)?.[1] ?? 0);
      resolve({ file, code, total, passed, ok: code === 0 && total > 0 && passed === total, ms: performance.now() - started });
    });
  });
}

async function serverVersion(url: string): Promise<{ num: number; text: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select current_setting('server_version_num')::int as num, version() as text`;
    return { num: r.num, text: String(r.text).split(',')[0] };
  } finally {
    await sql.end();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files = args.length ? args.map(a => join(process.cwd(), a)) : findTests(join(ROOT, 'test'));
  let server: EmbeddedServer | undefined;
  const env = { ...process.env };
  if (!process.env.TEST_DATABASE_URL && !process.env.EMAILAI_TEST_SERVER_URL) {
    process.stdout.write('starting embedded PostgreSQL …\n');
    server = await startEmbedded({ major: embeddedMajor() });
    env.EMAILAI_TEST_SERVER_URL = server.adminUrl;
  }
  const results: FileResult[] = [];
  try {
    const version = await serverVersion(env.EMAILAI_TEST_SERVER_URL ?? env.TEST_DATABASE_URL!);
    process.stdout.write(`PostgreSQL ${version.text}\n`);
    if (server && Math.floor(version.num / 10000) !== Number(server.major)) {
      process.stdout.write(`✗ EMAILAI_TEST_PG_MAJOR asked for ${server.major}, the embedded server is ${version.num}\n\n0 passed, 1 failed\n`);
      return 1;
    }
    for (const file of files) {
      process.stdout.write(`\n━━ ${relative(ROOT, file)}\n`);
      results.push(await runFile(file, env));
    }
  } finally {
    await server?.stop();
  }
  process.stdout.write('\n');
  for (const r of results) {
    process.stdout.write(`${r.ok ? '✓' : '✗'} ${relative(ROOT, r.file).padEnd(44)} ${r.passed}/${r.total} tests  exit ${r.code}  ${(r.ms / 1000).toFixed(1)} s\n`);
  }
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + (r.total - r.passed), 0) + results.filter(r => r.total === 0 || (r.code !== 0 && r.passed === r.total)).length;
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return results.every(r => r.ok) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
