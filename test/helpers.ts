// Test support: a real PostgreSQL for every suite (embedded by default, or the
// server named by TEST_DATABASE_URL), one fresh database per suite, and a suite
// wrapper whose setup failure fails every test of the suite (uvu swallows errors
// thrown in a `before` hook, so the suites here never use one).
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres, { type Sql } from 'postgres';
import { suite as uvuSuite } from 'uvu';
import { startEmbedded, type EmbeddedServer } from '../dev/embedded.ts';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

let embedded: Promise<EmbeddedServer> | undefined;

/** A URL of a database on the test server with the right to CREATE DATABASE. */
async function serverUrl(): Promise<string> {
  if (process.env.EMAILAI_TEST_SERVER_URL) return process.env.EMAILAI_TEST_SERVER_URL;
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (!embedded) {
    embedded = startEmbedded();
    process.once('beforeExit', () => { embedded?.then(s => s.stop()).catch(() => {}); });
  }
  return (await embedded).adminUrl;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

let counter = 0;

export async function createDatabase(label: string): Promise<TestDatabase> {
  const admin = await serverUrl();
  const name = `emailai_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${process.pid}_${counter++}`;
  const root = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await root`create database ${root(name)}`;
  } finally {
    await root.end();
  }
  const url = withDatabase(admin, name);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const r = postgres(admin, { max: 1, onnotice: () => {} });
      try {
        await r`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
        await r`drop database if exists ${r(name)}`;
      } finally {
        await r.end();
      }
    },
  };
}

type TestFn = (db: TestDatabase) => Promise<void> | void;

/**
 * A uvu suite on its own database. `setup` runs once, before the first test; if it
 * throws, every test of the suite fails with that error.
 */
export function dbSuite(name: string, setup: (db: TestDatabase) => Promise<void> = async () => {}) {
  const s = uvuSuite(name);
  let ready: Promise<TestDatabase> | undefined;
  const get = () => (ready ??= (async () => {
    const db = await createDatabase(name);
    try {
      await setup(db);
    } catch (err) {
      await db.drop().catch(() => {});
      throw err;
    }
    return db;
  })());
  s.after(async () => {
    const db = await ready?.catch(() => undefined);
    await db?.drop().catch(() => {});
  });
  return {
    test(title: string, fn: TestFn) {
      s(title, async () => fn(await get()));
    },
    run() {
      s.run();
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
const GUARD = fileURLToPath(new URL('../dev/exit-code-guard.ts', import.meta.url));

/** Runs a TypeScript entry point of the package (runner.ts by default) as a child process. */
export function runTs(args: string[], opts: { env?: Record<string, string | undefined>; script?: string; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> & { child: ReturnType<typeof spawn> } {
  const script = opts.script ?? fileURLToPath(new URL('../runner.ts', import.meta.url));
  // EMAILAI_REPORT_DIR: `up` writes its report there, not into the package folder.
  const env: Record<string, string | undefined> = { EMAILAI_REPORT_DIR: tmpdir(), ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [TSX, '--import', GUARD, script, ...args], {
    cwd: opts.cwd ?? PACKAGE_DIR,
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', d => (stdout += d));
  child.stderr!.on('data', d => (stderr += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
  const promise = new Promise<RunResult>(resolve => {
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  }) as Promise<RunResult> & { child: typeof child };
  promise.child = child;
  return promise;
}

/** runner.ts against a test database. */
/** Polls until fn() is truthy (a state, not a time), at most limitMs. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, limitMs = 120_000): Promise<T> {
  const started = performance.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

export function runner(db: TestDatabase, args: string[], env: Record<string, string | undefined> = {}) {
  return runTs(args, { env: { DATABASE_URL: db.url, ...env } });
}

const LEY_BIN = fileURLToPath(new URL('../node_modules/ley/bin.js', import.meta.url));

/** `npx ley <args>` as a DBA runs it: plain node, in the package folder. */
export function leyCli(db: TestDatabase, args: string[]): Promise<RunResult> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [LEY_BIN, ...args], { cwd: PACKAGE_DIR, env: { ...process.env, DATABASE_URL: db.url } });
    let stdout = '', stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

/**
 * What of the package exists outside public's app objects: every schema but public and
 * the system ones, with its relations and functions, and public's relations other than
 * migration_log (and its sequence). Empty = nothing of the package but migration_log.
 */
export async function packageLeftovers(sql: Sql, appTables: string[]): Promise<string[]> {
  const rows = await sql`
    select 'schema ' || nspname as o from pg_namespace
     where nspname not in ('public', 'information_schema') and nspname not like 'pg\\_%'
    union all
    select 'relation ' || c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')
       and c.relname <> all (${appTables}::text[]) and c.relname not like 'migration_log%'
    union all
    select 'function ' || p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public'
    order by 1`;
  return rows.map(r => r.o as string);
}
