// `runner.ts cleanup`: phase 5, once the new app is stable (SPEC: "never blocked
// forever: it is gated on the package's own invariants, and --force overrides a
// failing app-level check"). Refuses (exit 3, nothing changed):
//   - always (the package's own invariants; each can be settled, so never forever):
//     another runner holds the package lock; the data phase never completed here
//     (give --deployed-at if migration_log lost it); an object outside the package
//     depends on it (queries/cleanup_dependents.sql: a view over the registry, a
//     trigger of somebody else's calling a package function), which DROP ... CASCADE
//     would drop silently;
//   - unless --force: the new app has been live for less than --min-days (default 30);
//     an error-level check fails. After the deploy every check describes the app's
//     data, which the new app now owns and may legitimately make fail; --force then
//     goes ahead and names the failing checks (stderr, --json); after it `repair`
//     no longer exists.
// Then, under the package lock and recorded in migration_log ('cleanup'): the window
// triggers (rollback/327..321: DROP TRIGGER IF EXISTS, so the ones `handover` already
// removed are skipped), their functions (320), the backfill and rule functions (310,
// 300), and schema emailai_migration (rollback/cleanup_package_bookkeeping.sql).
// public.migration_log stays. --dry-run lists what would be dropped (and refuses as
// the real run would).
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { type Context, type Flags, int, LOCK_FLAGS, type Options, str, TEXT, YES } from '../context.ts';
import { runChecks } from '../checks.ts';
import { assertEmailAi } from '../emailai.ts';
import { RefusedError, UsageError } from '../errors.ts';
import { logged, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { ROLLBACK_DIR, QUERIES_DIR } from '../paths.ts';
import { runStep } from '../steps.ts';
import { loadMigration } from '../migration.ts';
import * as log from '../log.ts';

/**
 * The undo of the package's own ley migration (triggers before the functions they
 * call), then the bookkeeping schema: one list, the migration's own.
 */
export async function cleanupSteps(): Promise<string[]> {
  const windowTriggers = await loadMigration('0004_window_triggers.ts');
  const packageObjects = await loadMigration('0003_migration_rules_and_window_triggers.ts');
  return [...windowTriggers.down, ...packageObjects.down, 'cleanup_package_bookkeeping.sql'];
}

const SQL = (name: string) => join(QUERIES_DIR, name);

export async function inventory(sql: Sql): Promise<{ object_type: string; object_name: string }[]> {
  return (await sql.file(SQL('cleanup_inventory.sql'))) as unknown as { object_type: string; object_name: string }[];
}

/** When the new app went live: --deployed-at / EMAILAI_DEPLOYED_AT, else the data phase's completion. */
async function liveSince(sql: Sql, deployedAt: Date | undefined): Promise<{ since: Date; ageDays: number; source: string }> {
  if (deployedAt) return { since: deployedAt, ageDays: (Date.now() - deployedAt.getTime()) / 86_400_000, source: '--deployed-at' };
  const [row] = await sql.file(SQL('cleanup_live_since.sql'));
  if (!row.live_since) {
    throw new RefusedError(`migration_log has no completed ${PHASES.data} row: the data phase never finished here, so there is nothing to clean up after (give --deployed-at if the log was lost)`);
  }
  return { since: row.live_since as Date, ageDays: Number(row.age_days), source: `migration_log ${PHASES.data}` };
}

export const summary = 'phase 5: remove the window triggers and the package bookkeeping';
export const flags = { ...LOCK_FLAGS, 'min-days': TEXT, 'deployed-at': TEXT, force: YES, 'dry-run': YES } as const satisfies Flags;

export interface CleanupOptions {
  minDays: number;
  /** --deployed-at, else EMAILAI_DEPLOYED_AT; undefined: read from migration_log. */
  deployedAt: Date | undefined;
  force: boolean;
  dryRun: boolean;
}

export function options(o: Options, env = process.env): CleanupOptions {
  const minDays = int(o, 'min-days', 30);
  const given = str(o, 'deployed-at') ?? env.EMAILAI_DEPLOYED_AT;
  let deployedAt: Date | undefined;
  if (given) {
    deployedAt = new Date(given);
    if (Number.isNaN(deployedAt.getTime())) throw new UsageError(`--deployed-at takes a date (YYYY-MM-DD or ISO 8601), got "${given}"`);
  }
  return { minDays, deployedAt, force: Boolean(o.force), dryRun: Boolean(o['dry-run']) };
}

export async function run(ctx: Context): Promise<number> {
  const { minDays, deployedAt, force, dryRun } = options(ctx.options);
  const stepFiles = await cleanupSteps();
  const sql = ctx.open(2);
  await assertEmailAi(sql);
  const lock = dryRun ? undefined : await acquirePackageLock(sql);
  try {
    const live = await liveSince(sql, deployedAt);
    const age = `live since ${live.since.toISOString()} (${live.source}): ${live.ageDays.toFixed(1)} day(s)`;
    if (live.ageDays < minDays) {
      if (!force) throw new RefusedError(`cleanup refused: the new app has been ${age}, less than --min-days ${minDays}. Until then rollback still needs the registry. --force overrides it`);
      log.warn(`--force: ${age}, less than ${minDays} days`);
    } else {
      log.info(`cleanup: ${age}`);
    }

    const dependents = (await sql.file(SQL('cleanup_dependents.sql'))) as unknown as { dependent: string; depends_on: string }[];
    if (dependents.length) {
      throw new RefusedError(`cleanup refused: ${dependents.length} object(s) outside the package depend on it and would be dropped with it: ` +
        dependents.slice(0, 10).map(d => `${d.dependent} (on ${d.depends_on})`).join('; ') +
        '. Drop or change them first; --force does not override this (nothing was changed)');
    }

    const failing = (await runChecks(sql, { severity: 'error', sample: 1 }))
      .filter(r => !r.passed).map(r => `${r.name} (${r.count})`);
    if (failing.length) {
      if (!force) {
        throw new RefusedError(`cleanup refused: error-level check(s) fail: ${failing.join(', ')}. ` +
          'Fix them first (runner.ts monitor names the repair), or, if the new app legitimately makes them fail, ' +
          'run cleanup --force (repair goes with the package)');
      }
      log.warn(`--force: error-level check(s) fail and are left to the app: ${failing.join(', ')}`);
    }

    const before = await inventory(sql);
    if (dryRun) {
      if (ctx.json) log.json({ command: 'cleanup', dryRun: true, liveSince: live.since, ageDays: live.ageDays, failingChecks: failing, wouldDrop: before, steps: stepFiles });
      else {
        log.out(`cleanup --dry-run: would drop ${before.length} object(s), keep public.migration_log:`);
        for (const o of before) log.out(`  ${o.object_type.padEnd(8)} ${o.object_name}`);
      }
      return 0;
    }

    const steps = await logged(sql, PHASES.cleanup, async () => {
      const done = [];
      for (const file of stepFiles) done.push(await runStep(sql, join(ROLLBACK_DIR, file), ctx.settings));
      const left = await inventory(sql);
      if (left.length) throw new Error(`objects of the package remain after cleanup: ${left.map(o => `${o.object_type} ${o.object_name}`).join(', ')}`);
      return done;
    });
    log.info(`cleanup: dropped ${before.length} object(s); public.migration_log kept`);
    if (ctx.json) log.json({ command: 'cleanup', dryRun: false, liveSince: live.since, ageDays: live.ageDays, failingChecks: failing, dropped: before, steps });
    return 0;
  } finally {
    await lock?.release();
  }
}
