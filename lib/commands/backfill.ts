// `runner.ts backfill`: phase 2. Calls emailai_migration.backfill_batch (sql/310)
// once per short transaction, pass after pass, until every pass is done. Resumable:
// each batch advances its pass's checkpoint in the same transaction, and every
// statement of a batch is guarded, so a re-run after a crash or a kill finishes the
// work and creates nothing twice. Memory is flat: the runner holds one batch's
// counters, never rows.
import type { Sql } from 'postgres';
import { BATCH_FLAGS, batchSize, type Context, type Flags, int, LOCK_FLAGS, type Options, TEXT, YES } from '../context.ts';
import { InterruptedError, RefusedError } from '../errors.ts';
import { logged, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { assertEmailAi } from '../emailai.ts';
import { Progress } from '../progress.ts';
import type { LockSettings } from '../lock-settings.ts';
import { type BatchResult, keysetLoop } from '../batch-loop.ts';
import { DELETED_UNDER_BATCH } from '../short-transaction.ts';
import { join } from 'node:path';
import { QUERIES_DIR, SQL_DIR } from '../paths.ts';
import { runStep } from '../steps.ts';
import * as log from '../log.ts';

export interface PassSummary {
  pass: string;
  table: string;
  rowsSeen: number;
  rowsChanged: number;
  batches: number;
  ms: number;
  skipped: boolean;
}

/** One backfill batch of a pass (sql/310), for keysetLoop; the backfill and handover's catch-up. */
export const passBatch = (pass: string) => async (tx: Sql, after: string | null, size: number): Promise<BatchResult> => {
  const [row] = await tx`select last_key, rows_seen, rows_changed from emailai_migration.backfill_batch(${pass}, ${after}, ${size})`;
  return row as BatchResult;
};

/** The loop of one backfill pass: what the backfill and handover's catch-up share. */
export const passLoop = (pass: string) => ({
  batch: passBatch(pass),
  doing: (after: string | null) => `pass ${pass}, the batch after key ${after ?? '(start)'}`,
  retryOn: DELETED_UNDER_BATCH,
});

/**
 * The window triggers a whole-database rollback paused (rollback/340) work again
 * (sql/315), before any batch reads: the backfill, `up` and the handover start here.
 * Returns whether they were paused.
 */
export async function resumeWindowTriggers(control: Sql, sql: Sql, settings: LockSettings): Promise<boolean> {
  const [{ paused }] = await control`
    select to_regclass('emailai_migration.window_pause') is not null
           and exists (select 1 from emailai_migration.window_pause) as paused`;
  if (!paused) return false;
  log.info('  the window triggers were paused by a rollback: resuming them');
  await runStep(sql, join(SQL_DIR, '315_resume_window_triggers.sql'), settings);
  return true;
}

export const summary = 'phase 2: the batched, resumable data migration';
export const flags = { ...LOCK_FLAGS, ...BATCH_FLAGS, 'sleep-ms': TEXT, restart: YES } as const satisfies Flags;
export interface BackfillOptions { batchSize: number; sleepMs: number; restart: boolean }
export const options = (o: Options): BackfillOptions =>
  ({ batchSize: batchSize(o), sleepMs: int(o, 'sleep-ms', 0), restart: Boolean(o.restart) });

export async function runBackfill(ctx: Context, o: BackfillOptions): Promise<PassSummary[]> {
  const { batchSize: size, sleepMs } = o;
  const control = ctx.open(2);
  await assertEmailAi(control);
  const [{ installed }] = await control`select to_regproc('emailai_migration.backfill_batch') is not null as installed`;
  if (!installed) throw new RefusedError('the schema phase has not run: run `runner.ts schema` (or `ley up`) first; nothing was changed');
  const lock = await acquirePackageLock(control, ctx.target);
  let sql = ctx.open(1);
  const summaries: PassSummary[] = [];
  try {
    await logged(control, PHASES.data, async () => {
      if (o.restart) await control.file(join(QUERIES_DIR, 'backfill_checkpoint_reset.sql'));
      await resumeWindowTriggers(control, sql, ctx.settings);
      const passes = await control`select pass, driving_table from emailai_migration.backfill_passes() order by ordinal`;
      for (const { pass, driving_table: table } of passes) {
        const started = performance.now();
        const [cp] = await control`select last_key, finished from emailai_migration.backfill_checkpoint where pass = ${pass}`;
        if (cp?.finished) {
          summaries.push({ pass, table, rowsSeen: 0, rowsChanged: 0, batches: 0, ms: 0, skipped: true });
          log.info(`  ✓ ${pass.padEnd(24)} already done`);
          continue;
        }
        const [{ total }] = await control`select count(*)::int as total from ${control(table)}`;
        const [{ before }] = cp?.last_key
          ? await control`select count(*)::int as before from ${control(table)} where id <= ${cp.last_key}`
          : [{ before: 0 }];
        const progress = new Progress(pass, total, before);
        const t = await keysetLoop({
          ...passLoop(pass), sql: () => sql, settings: ctx.settings, size, sleepMs, after: cp?.last_key ?? null,
          interrupted: () => ctx.interrupted(),
          onInterrupt: after => {
            progress.end();
            return new InterruptedError(`interrupted by the operator during pass ${pass} after key ${after ?? '(start)'}; ` +
              `every finished batch is committed: run backfill again to resume`);
          },
          afterBatch: async (r, { batches }) => {
            progress.update(r.rows_seen, r.rows_changed);
            if (batches === 1 && pass === 'personal_organizations') {
              // Foreign-key checks into the new tables were planned while they were
              // empty (sequential scans that stay so): give the planner statistics
              // and start new sessions so the next batches plan index lookups. Later
              // growth needs no ANALYZE: the planner scales row counts by the tables'
              // current size, and the batch's lookups are per-row index probes.
              await control`analyze "Organization", "OrganizationMember"`;
              await sql.end({ timeout: 5 });
              sql = ctx.open(1);
            }
          },
        });
        progress.end();
        summaries.push({ pass, table, rowsSeen: t.rowsSeen, rowsChanged: t.rowsChanged, batches: t.batches, ms: performance.now() - started, skipped: false });
      }
      await control`analyze "Organization", "OrganizationMember"`;
    });
  } finally {
    await lock.release();
  }
  return summaries;
}

export async function run(ctx: Context): Promise<number> {
  const o = options(ctx.options);
  log.info(`backfill: ${ctx.target.display}`);
  const summaries = await runBackfill(ctx, o);
  if (ctx.json) log.json({ command: 'backfill', passes: summaries });
  return 0;
}
