// `runner.ts backup`: the runbook's step 1. pg_dump -Fc to --file (default
// emailai-backup-<timestamp>.dump), path, size and sha256 printed, verified with
// pg_restore --list; --restore-to URL restores it into that scratch database and
// compares the row count of every table (exit 1 on a mismatch). The password goes
// to pg_dump through PGPASSWORD, never on its command line.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Sql } from 'postgres';
import { type Context, type Flags, type Options, str, TEXT } from '../context.ts';
import { clientToolConnection, connect, resolveTarget } from '../connection.ts';
import { EXIT, RefusedError } from '../errors.ts';
import { QUERIES_DIR } from '../paths.ts';
import { assertEmailAi } from '../emailai.ts';
import * as log from '../log.ts';

const ROW_COUNTS = join(QUERIES_DIR, 'table_row_counts.sql');

function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('error', err => (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? fail(new RefusedError(`${tool} not found on PATH: install the PostgreSQL client tools (Debian/Ubuntu: apt-get install postgresql-client-NN, NN = the server's major version); nothing was changed`))
      : fail(err));
    child.on('close', code => done({ code: code ?? 1, stdout, stderr }));
  });
}

async function assertClientVersion(tool: string, serverMajor: number): Promise<void> {
  const { stdout } = await runTool(tool, ['--version'], process.env);
  const major = Number(stdout.match(/(\d+)(?:\.\d+)?/)?.[1]);
  if (!(major >= serverMajor)) {
    throw new RefusedError(`${tool} ${major || '(unknown version)'} is older than the server (PostgreSQL ${serverMajor}): ` +
      `install apt-get install postgresql-client-${serverMajor} (or put a ${serverMajor}+ ${tool} first on PATH); nothing was changed`);
  }
}

function sha256(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', d => hash.update(d)).on('end', () => done(hash.digest('hex'))).on('error', fail);
  });
}

async function rowCounts(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql.file(ROW_COUNTS);
  return new Map(rows.map(r => [`${r.schema_name}.${r.table_name}`, Number(r.row_count)]));
}

export function defaultBackupName(now = new Date()): string {
  return `emailai-backup-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}.dump`;
}

export const summary = 'pg_dump -Fc, verified with pg_restore --list (--restore-to URL compares row counts)';
export const flags = { file: TEXT, 'restore-to': TEXT } as const satisfies Flags;

export interface BackupOptions {
  /** --file, absolute; else emailai-backup-<timestamp>.dump in the current directory. */
  file: string;
  /** --restore-to: the URL of a scratch database to restore into and compare. */
  restoreTo: string | undefined;
}

export function options(o: Options, now = new Date()): BackupOptions {
  return { file: resolve(str(o, 'file') ?? defaultBackupName(now)), restoreTo: str(o, 'restore-to') };
}

export async function run(ctx: Context): Promise<number> {
  const { file, restoreTo } = options(ctx.options);
  const sql = ctx.open(1);
  await assertEmailAi(sql);
  const [{ major }] = await sql`select current_setting('server_version_num')::int / 10000 as major`;
  await assertClientVersion('pg_dump', major);
  await assertClientVersion('pg_restore', major);

  const conn = clientToolConnection(ctx.target);
  log.info(`backup: pg_dump -Fc ${ctx.target.display} → ${file}`);
  const started = performance.now();
  const dump = await runTool('pg_dump', ['-Fc', '--file', file, ...conn.args], conn.env);
  if (dump.code !== 0) throw new Error(`pg_dump failed: ${dump.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const bytes = statSync(file).size;
  const digest = await sha256(file);
  const list = await runTool('pg_restore', ['--list', file], process.env);
  if (list.code !== 0) throw new Error(`pg_restore --list cannot read ${file}: ${list.stderr.trim()}`);
  const entries = list.stdout.split('\n').filter(l => /^\d+;/.test(l)).length;
  log.info(`backup: ${file}  ${(bytes / 2 ** 20).toFixed(1)} MiB  sha256 ${digest}  (${entries} archive entries, ${log.duration(performance.now() - started)})`);
  const result: Record<string, unknown> = { command: 'backup', file, bytes, sha256: digest, entries };

  let exitCode: number = EXIT.ok;
  if (restoreTo) {
    const scratch = resolveTarget(restoreTo);
    const sconn = clientToolConnection(scratch);
    log.info(`backup: restoring into ${scratch.display}`);
    const restore = await runTool('pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', ...sconn.args, file], sconn.env);
    if (restore.code !== 0) throw new Error(`pg_restore into ${scratch.display} failed: ${restore.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const restored = connect(scratch, { max: 1 });
    try {
      const [source, copy] = [await rowCounts(sql), await rowCounts(restored)];
      const tables = [...new Set([...source.keys(), ...copy.keys()])].sort();
      const mismatches = tables.filter(t => source.get(t) !== copy.get(t))
        .map(t => ({ table: t, source: source.get(t) ?? null, restored: copy.get(t) ?? null }));
      for (const m of mismatches) log.error(`restore: ${m.table}: ${m.source ?? 'missing'} rows in the source, ${m.restored ?? 'missing'} restored`);
      log.info(mismatches.length ? `restore: ${mismatches.length} table(s) differ` : `restore: row counts of all ${tables.length} tables match`);
      result.restore = { target: scratch.display, tables: tables.length, mismatches,
        rowCounts: Object.fromEntries(tables.map(t => [t, source.get(t) ?? null])) };
      if (mismatches.length) exitCode = EXIT.failed;
    } finally {
      await restored.end({ timeout: 5 });
    }
  }
  if (ctx.json) log.json(result);
  else log.out(file);
  return exitCode;
}
