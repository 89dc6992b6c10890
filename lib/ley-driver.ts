// The ley driver of this package. ley 0.8 runs every pending migration in one
// transaction and takes no lock; this driver gives it what it lacks:
//   - the package's advisory lock, taken before the history is read (a second
//     `ley up` stops with a message and changes nothing);
//   - each migration applied step by step through runStep (lock_timeout, retries,
//     CONCURRENTLY outside transactions), recorded in the history when done;
//   - migration_log rows, and a refusal when an object exists but differs.
// ley calls connect(config) -> setup(client) -> loop(client, files, method) -> end(client).
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { connect as open, resolveTarget, type Target } from './connection.ts';
import { CleanedUpError, NewAppDataError, SchemaConflictError } from './errors.ts';
import { acquirePackageLock, type HeldLock } from './package-lock.ts';
import { lockSettingsFromEnv, type LockSettings } from './lock-settings.ts';
import { runStep, StepError, type StepResult } from './steps.ts';
import { loadMigration as load } from './migration.ts';
import { logEnd, logRolledBack, logStart, PHASES } from './migration-log.ts';
import { QUERIES_DIR, ROLLBACK_DIR, SQL_DIR } from './paths.ts';
import { conflictingSchemaObjects } from './schema-objects.ts';
import * as log from './log.ts';

export interface DriverConfig {
  target?: Target;
  settings?: LockSettings;
  /** Lets rollback/ files drop what the new app wrote (runner.ts rollback --schema --force). */
  force?: boolean;
  /** The app's roles beyond those the tables' grants name (--app-role, EMAILAI_APP_ROLES). */
  appRoles?: string[];
}

export interface Client {
  sql: Sql;
  lock: HeldLock;
  settings: LockSettings;
  sessionSettings: Record<string, string>;
  results: StepResult[];
  appRoles: string[];
}

/** EMAILAI_APP_ROLES=app,app_worker: the app's roles for `ley up` run on its own. */
export function appRolesFromEnv(env = process.env): string[] {
  return (env.EMAILAI_APP_ROLES ?? '').split(',').map(r => r.trim()).filter(Boolean);
}

export async function connect(config: DriverConfig = {}): Promise<Client> {
  const target = config.target ?? resolveTarget(process.env.DATABASE_URL || undefined);
  const sql = open(target, { max: 3 });
  try {
    const lock = await acquirePackageLock(sql, target);
    return {
      sql,
      lock,
      settings: config.settings ?? lockSettingsFromEnv(),
      sessionSettings: config.force ? { 'emailai_migration.force': 'on' } : {},
      results: [],
      appRoles: config.appRoles ?? appRolesFromEnv(),
    };
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
}

/**
 * ley's history. The bookkeeping (migration_log, the registry, the history table) is
 * brought up to date here when it exists, and created only by an `up` (ensureBookkeeping,
 * from loop): a `ley down` or `ley status` on a database without the package leaves
 * nothing of it behind (SPEC "Rollback": nothing of the package but migration_log).
 */
export async function setup(client: Client): Promise<{ name: string }[]> {
  // After `runner.ts cleanup` the bookkeeping (and ley's history with it) is gone on
  // purpose: a `ley up` then would install the window triggers again on a live app.
  const [cleaned] = await client.sql`
    select 1 from migration_log where to_regclass('public.migration_log') is not null
      and migration_name = ${PHASES.cleanup} and status = 'completed'`.catch(() => []);
  if (cleaned) {
    throw new CleanedUpError('the migration was finished and cleaned up (migration_log has a completed cleanup row): ' +
      'there is nothing for ley to do, and re-running it would reinstall the window triggers; nothing was changed');
  }
  const [{ present }] = await client.sql`select to_regclass('emailai_migration.ley_migrations') is not null as present`;
  if (!present) return [];
  await ensureBookkeeping(client);
  const rows = await client.sql`select name from emailai_migration.ley_migrations order by id`;
  return rows.map(r => ({ name: r.name as string }));
}

async function ensureBookkeeping(client: Client): Promise<void> {
  const quiet = { ...client.settings };
  for (const file of ['010_migration_log.sql', '020_package_registry.sql']) {
    await runStep(client.sql, join(SQL_DIR, file), quiet);
  }
  await client.sql.file(join(QUERIES_DIR, 'ley_migrations_create.sql'));
}

/**
 * After a `down` that leaves ley's history empty: the registry and the history go
 * too (rollback/020_package_registry.sql, which keeps them, with a notice, when they
 * are still the only record of the migration's rows). Also called by
 * `runner.ts rollback --schema` for a database whose history was already empty.
 */
export async function dropEmptyBookkeeping(sql: Sql, settings: LockSettings): Promise<void> {
  const [{ present }] = await sql`select to_regclass('emailai_migration.ley_migrations') is not null as present`;
  if (present) {
    const [left] = await sql`select 1 from emailai_migration.ley_migrations limit 1`;
    if (left) return;
  }
  const [{ schema }] = await sql`select to_regnamespace('emailai_migration') is not null as schema`;
  if (schema) await runStep(sql, join(ROLLBACK_DIR, '020_package_registry.sql'), settings);
}

async function prismaAlreadyApplied(sql: Sql, name: string): Promise<boolean> {
  const rows = await sql`
    select 1 from public."_prisma_migrations" p
    where to_regclass('public."_prisma_migrations"') is not null
      and p.migration_name = ${name} and p.finished_at is not null and p.rolled_back_at is null
      and not exists (select 1 from emailai_migration.recorded_prisma_migration r where r.id = p.id)`
    .catch(() => []);
  return rows.length > 0;
}

export async function loop(client: Client, files: { name: string; abs: string }[], method: 'up' | 'down'): Promise<void> {
  const { sql } = client;
  if (method === 'up') await ensureBookkeeping(client);
  const logId = await logStart(sql, method === 'up' ? PHASES.schema : PHASES.schemaRollback);
  try {
    if (method === 'up') {
      const conflicts = await conflictingSchemaObjects(sql);
      if (conflicts.length) {
        throw new SchemaConflictError(
          `these objects exist but differ from the expected definition; nothing was changed:\n` +
          conflicts.map(c => `    ${c.object_type} ${c.object_name}: expected ${c.expected}, found ${c.actual}`).join('\n') +
          `\n  Fix or drop them by hand (see checks/schema_objects_missing_or_different.sql), then run this again.`);
      }
    }
    if (method === 'down') await refuseWhileNewAppData(client, files);
    for (const file of files) {
      const migration = await load(file.abs);
      const ctx = { sql, settings: client.settings, sessionSettings: client.sessionSettings, results: client.results, appRoles: client.appRoles };
      if (method === 'up') {
        log.info(`${file.name}`);
        if (migration.prismaMigration && await prismaAlreadyApplied(sql, migration.prismaMigration)) {
          log.info(`  the app's Prisma migration ${migration.prismaMigration} is already applied: its objects are verified, not created, and \`down\` will keep them`);
          await sql`insert into emailai_migration.verified_only_migration (name) values (${file.name}) on conflict do nothing`;
        }
        await migration.apply(ctx);
        await sql`insert into emailai_migration.ley_migrations (name, created_at) values (${file.name}, now())`;
      } else {
        log.info(`${file.name} (down)`);
        const [verifiedOnly] = await sql`select 1 from emailai_migration.verified_only_migration where name = ${file.name}`;
        if (verifiedOnly) {
          log.info(`  its objects were created by the app's own Prisma migration, not by this package: kept`);
        } else {
          await migration.undo(ctx);
        }
        await sql.begin(async tx => {
          await tx`delete from emailai_migration.ley_migrations where name = ${file.name}`;
          await tx`delete from emailai_migration.verified_only_migration where name = ${file.name}`;
        });
      }
    }
    if (method === 'down') await dropEmptyBookkeeping(sql, client.settings);
    await logEnd(sql, logId, 'completed');
    if (method === 'down') await logRolledBack(sql, PHASES.schema);
  } catch (err) {
    await logEnd(sql, logId, 'failed', err).catch(() => {});
    throw err;
  }
}

/**
 * Before a `down` undoes anything: the guards of the migrations it will undo (those
 * whose objects are the package's, not the app's own). A refusal drops nothing.
 */
async function refuseWhileNewAppData(client: Client, files: { name: string; abs: string }[]): Promise<void> {
  for (const file of files) {
    const migration = await load(file.abs);
    if (!migration.downGuard) continue;
    const [verifiedOnly] = await client.sql`select 1 from emailai_migration.verified_only_migration where name = ${file.name}`;
    if (verifiedOnly) continue;
    try {
      await runStep(client.sql, join(ROLLBACK_DIR, migration.downGuard), client.settings, client.sessionSettings);
    } catch (err) {
      const cause = err instanceof StepError ? err.cause as { message?: string; hint?: string } : err as { message?: string; hint?: string };
      throw new NewAppDataError(`${cause?.message ?? String(err)}${cause?.hint ? `\n  ${cause.hint}` : ''}`);
    }
  }
}

export async function end(client: Client): Promise<void> {
  await client.lock.release();
  await client.sql.end({ timeout: 5 });
}
