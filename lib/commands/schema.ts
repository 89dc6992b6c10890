// `runner.ts schema`: phase 1, the expand. The same as `ley up` (the same driver,
// the same migrations), plus the Prisma history: with --prisma-migrations DIR the two
// app migrations are recorded as applied; without it, the commands to run are printed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ley from 'ley';
import type { Sql } from 'postgres';
import * as driver from '../ley-driver.ts';
import { appRoles, type Context, type Flags, LOCK_FLAGS, type Options, str, TEXT } from '../context.ts';
import { RefusedError } from '../errors.ts';
import { assertEmailAi, PRISMA_MIGRATIONS } from '../emailai.ts';
import { PACKAGE_DIR, QUERIES_DIR } from '../paths.ts';
import { privilegeProblems } from './preflight.ts';
import * as log from '../log.ts';

export const summary = 'phase 1: the lock-safe schema change (= ley up) and the window triggers';
export const flags = { ...LOCK_FLAGS, 'prisma-migrations': TEXT, 'app-role': { type: 'string', multiple: true } } as const satisfies Flags;
export interface SchemaOptions { prismaMigrations: string | undefined; appRoles: string[] }
export const options = (o: Options): SchemaOptions => ({ prismaMigrations: str(o, 'prisma-migrations'), appRoles: appRoles(o) });

export async function runSchema(ctx: Context, o: SchemaOptions): Promise<{ applied: string[] }> {
  const sql = ctx.open(2);
  await assertEmailAi(sql);
  // Before the first statement: a right missing halfway would leave the phase half done.
  const lacking = await privilegeProblems(sql);
  if (lacking.length) {
    const [{ me }] = await sql`select current_user as me`;
    throw new RefusedError(`role ${me} may not run the schema phase: it lacks ${lacking.join('; ')} (the migrator must own the app's tables); nothing was changed`);
  }
  const prismaDir = o.prismaMigrations;
  if (prismaDir) {
    for (const name of PRISMA_MIGRATIONS) {
      const file = join(prismaDir, name, 'migration.sql');
      if (!existsSync(file)) throw new RefusedError(`--prisma-migrations: ${file} not found; nothing was changed`);
    }
  }
  log.info(`schema: ${ctx.target.display} (lock_timeout ${ctx.settings.lockTimeoutMs} ms, ${ctx.settings.lockRetries} retries)`);
  const config: driver.DriverConfig & { driver: typeof driver } = { driver, target: ctx.target, settings: ctx.settings, appRoles: o.appRoles };
  // ley's types know only its own drivers' configs; ours is passed through to lib/ley-driver.ts.
  const applied = await ley.up({ cwd: PACKAGE_DIR, dir: 'migrations', config: config as unknown as Record<string, unknown> });
  log.info(applied.length ? `schema: applied ${applied.join(', ')}` : 'schema: already up to date, nothing to do');
  await prismaHistory(sql, prismaDir);
  return { applied };
}

async function prismaHistory(sql: Sql, dir: string | undefined): Promise<void> {
  for (const name of PRISMA_MIGRATIONS) {
    const [row] = await sql`select 1 from "_prisma_migrations" where migration_name = ${name} and finished_at is not null and rolled_back_at is null`;
    if (row) continue;
    if (!dir) {
      log.info(`prisma: in the app repository, mark the app migration as applied:  npx prisma migrate resolve --applied ${name}`);
      continue;
    }
    const checksum = createHash('sha256').update(readFileSync(join(dir, name, 'migration.sql'))).digest('hex');
    await sql.file(join(QUERIES_DIR, 'prisma_migration_record.sql'), [checksum, name]);
    log.info(`prisma: recorded ${name} as applied (sha256 ${checksum.slice(0, 12)}…)`);
  }
}

export async function run(ctx: Context): Promise<number> {
  const result = await runSchema(ctx, options(ctx.options));
  if (ctx.json) log.json({ command: 'schema', ...result });
  return 0;
}
