// `runner.ts rollback`: the way back (SPEC "Rollback"). Exactly one level:
//   --keep-orgs  unlink inboxes and premiums the migration linked, keep organizations
//   --orgs       also delete the organizations the migration created (unlinked first)
//   --schema     --orgs, then `ley down` of every migration (the schema phase undone)
// --organization-id X limits the data passes to one organization; --dry-run prints
// rollback_plan (sql/330) and changes nothing; --force also undoes what the new app
// wrote. The work is the batch functions of sql/330, one short transaction per
// batch with lock_timeout and retries, keyset over the primary key. Resumable: no
// checkpoint is needed, every batch is guarded, so a re-run after a kill rescans and
// finishes what is left.
//
// The window triggers stay installed at --keep-orgs/--orgs (they go with --schema),
// and a whole-database rollback pauses them first (rollback/340, issue 19): while the
// old app still writes, a trigger would link a new inbox to an organization the
// rollback is deleting (the insert fails on the foreign key) and leave organizations
// and links made meanwhile behind. Paused, they create and link nothing, until the
// next backfill (or `up`, or handover) resumes them (sql/315) and relinks what the
// old app wrote meanwhile. With --organization-id only that organization is undone
// and the triggers keep working for everyone else. The backfill's checkpoints are
// cleared (whole-database levels), so a later `up` relinks everything.
import ley from 'ley';
import type { Sql } from 'postgres';
import * as driver from '../ley-driver.ts';
import { BATCH_FLAGS, batchSize, type Context, type Flags, int, LOCK_FLAGS, type Options, str, TEXT, YES } from '../context.ts';
import { type BatchResult, keysetLoop } from '../batch-loop.ts';
import { RefusedError, UsageError } from '../errors.ts';
import { logged, logRolledBack, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { join } from 'node:path';
import { PACKAGE_DIR, QUERIES_DIR, ROLLBACK_DIR } from '../paths.ts';
import { runStep } from '../steps.ts';
import { assertEmailAi } from '../emailai.ts';
import * as log from '../log.ts';

export const summary = 'undo: --keep-orgs | --orgs | --schema, or --organization-id X; --dry-run';
export const flags = { ...LOCK_FLAGS, ...BATCH_FLAGS, 'keep-orgs': YES, orgs: YES, schema: YES, 'organization-id': TEXT, force: YES, 'dry-run': YES, 'sleep-ms': TEXT } as const satisfies Flags;

type Level = 'keep-orgs' | 'orgs' | 'schema';
type BatchFunction = 'rollback_unlink_email_accounts_batch' | 'rollback_unlink_premiums_batch' | 'rollback_delete_organizations_batch';

export interface PlanRow { item: string; action: string; rows: number }
export interface KeptOrganization { organizationId: string; name: string; createdByMigration: boolean; changes: string[] }

const KEPT_LISTED = 20;

/** The organizations kept because the new app wrote them, and what it changed (sql/330). */
async function keptOrganizations(sql: Sql, organizationId: string | null): Promise<KeptOrganization[]> {
  const rows = await sql`
    select organization_id, name, created_by_migration, changes
    from emailai_migration.rollback_changed_organizations(${organizationId}, ${KEPT_LISTED})`;
  return rows.map(r => ({ organizationId: r.organization_id, name: r.name, createdByMigration: r.created_by_migration, changes: r.changes }));
}

function printKeptOrganizations(orgs: KeptOrganization[], force: boolean): void {
  if (!orgs.length) return;
  log.info(`organizations the new app wrote${force ? ' (--force: deleted too)' : ' (kept; --force to delete)'}${orgs.length === KEPT_LISTED ? `, first ${KEPT_LISTED}` : ''}:`);
  for (const o of orgs) {
    log.info(`  ${o.organizationId}  ${JSON.stringify(o.name)}  ${o.createdByMigration ? `created by the migration, changed since: ${o.changes.join(', ')}` : 'created by the new app'}`);
  }
}
export interface PassResult { pass: string; rowsSeen: number; rowsChanged: number; batches: number }

export interface RollbackOptions {
  level: Level;
  organizationId: string | null;
  force: boolean;
  dryRun: boolean;
  batchSize: number;
  sleepMs: number;
}

export function options(o: Options): RollbackOptions {
  const chosen = (['keep-orgs', 'orgs', 'schema'] as const).filter(l => o[l]);
  if (chosen.length !== 1) throw new UsageError('rollback: give exactly one of --keep-orgs, --orgs, --schema');
  const organizationId = str(o, 'organization-id') ?? null;
  if (chosen[0] === 'schema' && organizationId) {
    throw new UsageError('rollback: --organization-id limits the data levels (--keep-orgs, --orgs), not --schema');
  }
  return { level: chosen[0], organizationId, force: Boolean(o.force), dryRun: Boolean(o['dry-run']),
           batchSize: batchSize(o), sleepMs: int(o, 'sleep-ms', 0) };
}

async function installed(sql: Sql): Promise<boolean> {
  const [{ ok }] = await sql`select to_regproc('emailai_migration.rollback_plan') is not null as ok`;
  return ok;
}

async function plan(sql: Sql, dataLevel: 'keep-orgs' | 'orgs', organizationId: string | null, force: boolean): Promise<PlanRow[]> {
  const rows = await sql`select item, action, rows::int as rows from emailai_migration.rollback_plan(${dataLevel}, ${organizationId}, ${force})`;
  return rows.map(r => ({ item: r.item, action: r.action, rows: r.rows }));
}

function printPlan(title: string, rows: PlanRow[]): void {
  log.info(title);
  for (const r of rows) log.info(`  ${r.action.padEnd(7)} ${String(r.rows).padStart(9)}  ${r.item}`);
}

async function runPass(ctx: Context, sql: Sql, fn: BatchFunction, organizationId: string | null, force: boolean, size: number,
                       sleepMs: number): Promise<PassResult> {
  const t = await keysetLoop({
    sql: () => sql, settings: ctx.settings, size, sleepMs, interrupted: () => ctx.interrupted(),
    onInterrupt: () => new Error(`interrupted during ${fn}; every finished batch is committed: run the same rollback again to finish`),
    doing: after => `${fn}, the batch after key ${after ?? '(start)'}`,
    batch: async (tx, after, size) => {
      const [row] = await tx`select last_key, rows_seen, rows_changed from ${tx('emailai_migration')}.${tx(fn)}(${after}, ${size}, ${organizationId}, ${force})`;
      return row as BatchResult;
    },
  });
  const result: PassResult = { pass: fn, rowsSeen: t.rowsSeen, rowsChanged: t.rowsChanged, batches: t.batches };
  log.info(`  ✓ ${fn.replace(/^rollback_|_batch$/g, '').padEnd(28)} ${result.rowsChanged} row(s) in ${result.batches} batch(es)`);
  return result;
}

/** rollback/340: from here on the window triggers create and link nothing (see the top). */
async function pauseWindowTriggers(control: Sql, sql: Sql, ctx: Context): Promise<void> {
  const [{ present }] = await control`select to_regclass('emailai_migration.window_pause') is not null as present`;
  if (!present) {
    // A schema phase of a version before issue 19: its triggers cannot be paused.
    log.warn('the window triggers of this installation cannot be paused (no emailai_migration.window_pause; `runner.ts schema` adds it): ' +
      'while the old app writes, what they link during the rollback may be left behind; run the rollback again once it is done');
    return;
  }
  await runStep(sql, join(ROLLBACK_DIR, '340_pause_window_triggers.sql'), ctx.settings);
}

export async function run(ctx: Context): Promise<number> {
  const { level: chosen, organizationId, force, dryRun, batchSize: size, sleepMs } = options(ctx.options);
  const dataLevel = chosen === 'keep-orgs' ? 'keep-orgs' : 'orgs';

  const control = ctx.open(2);
  await assertEmailAi(control);
  const dataInstalled = await installed(control);
  if (organizationId && dataInstalled) {
    const [exists] = await control`select 1 from "Organization" where id = ${organizationId}`;
    if (!exists) throw new RefusedError(`no organization "${organizationId}"; nothing was changed`);
  }
  const history = await control`
    select name from emailai_migration.ley_migrations order by id desc`.catch(() => [] as { name: string }[]);
  const before = dataInstalled ? await plan(control, dataLevel, organizationId, force) : [];
  log.info(`rollback --${chosen}${organizationId ? ` --organization-id ${organizationId}` : ''}${force ? ' --force' : ''}${dryRun ? ' --dry-run' : ''}: ${ctx.target.display}`);
  const keptOrgs = dataInstalled && chosen !== 'keep-orgs' ? await keptOrganizations(control, organizationId) : [];
  if (dataInstalled) {
    printPlan(dryRun ? 'would change:' : 'plan:', before);
    printKeptOrganizations(keptOrgs, force);
  } else log.info('  the data functions are not installed: no data to undo');
  if (chosen === 'schema') log.info(`  ley down: ${history.length ? history.map(h => h.name).join(', ') : 'nothing recorded'}`);

  const kept = (rows: PlanRow[]) => rows.filter(r => r.action === 'keep' && r.rows > 0);
  if (chosen === 'schema' && !force) {
    // The columns of 0002 go with --schema: what the new app shared goes with them.
    const shared = ((await control.file(join(QUERIES_DIR, 'rollback_shared_resources.sql'))) as unknown as { resource: string; shared: string }[])
      .filter(r => Number(r.shared) > 0);
    if (shared.length) {
      throw new RefusedError(`rollback --schema: the new app shared ${shared.map(r => `${r.shared} ${r.resource} row(s)`).join(', ')} ("isShared" = true); ` +
        'dropping the columns would lose it. Inspect them, or run rollback --schema --force; nothing was changed');
    }
  }
  if (chosen === 'schema' && !force && kept(before).length) {
    throw new RefusedError('rollback --schema: the new app wrote data the migration did not (kept above); ' +
      'dropping the schema would delete it. Inspect it, or run rollback --schema --force; nothing was changed');
  }
  if (dryRun) {
    if (ctx.json) log.json({ command: 'rollback', level: chosen, dryRun: true, organizationId, force, plan: before, keptOrganizations: keptOrgs,
      leyDown: chosen === 'schema' ? history.map(h => h.name) : [] });
    return 0;
  }

  const passes: PassResult[] = [];
  let after: PlanRow[] = [];
  if (dataInstalled) {
    const lock = await acquirePackageLock(control);
    const sql = ctx.open(1);
    try {
      await logged(control, PHASES.rollback, async () => {
        if (!organizationId) await pauseWindowTriggers(control, sql, ctx);
        passes.push(await runPass(ctx, sql, 'rollback_unlink_email_accounts_batch', organizationId, force, size, sleepMs));
        passes.push(await runPass(ctx, sql, 'rollback_unlink_premiums_batch', organizationId, force, size, sleepMs));
        if (dataLevel === 'orgs') passes.push(await runPass(ctx, sql, 'rollback_delete_organizations_batch', organizationId, force, size, sleepMs));
        if (!organizationId) {
          // A later backfill must start over: its passes are guarded, so it relinks
          // exactly what is unlinked now.
          await control.file(join(QUERIES_DIR, 'backfill_checkpoint_reset.sql'));
          await logRolledBack(control, PHASES.data);
        }
      });
      after = await plan(control, dataLevel, organizationId, force);
    } finally {
      await lock.release();
    }
    if (kept(after).length) printPlan('kept (written by the new app; --force to undo):', kept(after));
  }

  let leyDown: string[] = [];
  if (chosen === 'schema') {
    // ley's driver takes the package lock itself (released above).
    leyDown = await ley.down({ cwd: PACKAGE_DIR, dir: 'migrations', all: true,
      config: { driver, target: ctx.target, settings: ctx.settings, force } satisfies driver.DriverConfig & { driver: typeof driver } });
    // ley returns without calling the driver when its history is already empty: the
    // bookkeeping a previous run left (or a version before issue 16) goes here.
    if (!leyDown.length) await driver.dropEmptyBookkeeping(control, ctx.settings);
    log.info(leyDown.length ? `schema: rolled back ${leyDown.join(', ')}` : 'schema: nothing to roll back');
  }
  if (ctx.json) log.json({ command: 'rollback', level: chosen, dryRun: false, organizationId, force, plan: before, passes, kept: kept(after),
    keptOrganizations: keptOrgs, leyDown });
  return 0;
}
