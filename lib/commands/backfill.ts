// `runner.ts backfill`: phase 2. Calls emailai_migration.backfill_batch (sql/310)
// once per short transaction, pass after pass, until every pass is done. Resumable:
// each batch advances its pass's checkpoint in the same transaction, and every
// statement of a batch is guarded, so a re-run after a crash or a kill finishes the
// work and creates nothing twice. Memory is flat: the runner holds one batch's
// counters, never rows. Each batch is sized to last about --target-batch-ms (the
// app's worst extra wait behind its row locks), and the batches pause while the
// database is unhealthy (lib/health.ts: app sessions waiting on our locks, a long
// transaction holding back vacuum, replication lag).
import type { Sql } from 'postgres';
import { BATCH_FLAGS, batchSize, type Context, type Flags, int, LOCK_FLAGS, type Options, TEXT, YES } from '../context.ts';
import { InterruptedError, RefusedError } from '../errors.ts';
import { logged, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { assertEmailAi } from '../emailai.ts';
import { Progress } from '../progress.ts';
import { bounded, type LockSettings } from '../lock-settings.ts';
import { type BatchResult, type BatchTotals, keysetLoop, medianMs } from '../batch-loop.ts';
import { HealthWatch } from '../health.ts';
import { DEFAULT_MAX_TRANSACTION_AGE_SECONDS } from './preflight.ts';
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
  /** Time the pass spent paused for the database's health (a parallel pass: its longest-paused job), ms. */
  pausedMs: number;
  /** The batches' durations (ms): the median of the last ones, and the slowest. */
  medianBatchMs: number;
  maxBatchMs: number;
  /** The last batches (at most RECENT_BATCHES of each job), in order: the size each was given and its ms. */
  recentBatches: { size: number; ms: number }[];
}

const skippedPass = (pass: string, table: string): PassSummary =>
  ({ pass, table, rowsSeen: 0, rowsChanged: 0, batches: 0, ms: 0, skipped: true, pausedMs: 0, medianBatchMs: 0, maxBatchMs: 0, recentBatches: [] });

const passSummary = (pass: string, table: string, t: BatchTotals, started: number): PassSummary => ({
  pass, table, rowsSeen: t.rowsSeen, rowsChanged: t.rowsChanged, batches: t.batches, ms: Math.round(performance.now() - started),
  skipped: false, pausedMs: Math.round(t.pausedMs), medianBatchMs: medianMs(t.recent), maxBatchMs: Math.round(t.maxBatchMs), recentBatches: t.recent,
});

/**
 * One backfill batch of a pass (sql/310), for keysetLoop; the backfill and handover's
 * catch-up. A batch of a --jobs range stops at the range's end (`upto`, null: the last
 * range) and leaves the pass's checkpoint to the caller.
 */
export const passBatch = (pass: string, range?: { upto: string | null }) => async (tx: Sql, after: string | null, size: number): Promise<BatchResult> => {
  const [row] = await tx`select last_key, rows_seen, rows_changed
                         from emailai_migration.backfill_batch(${pass}, ${after}, ${size}, ${range?.upto ?? null}, ${Boolean(range)})`;
  return row as BatchResult;
};

/** The loop of one backfill pass: what the backfill and handover's catch-up share. */
export const passLoop = (pass: string, range?: { upto: string | null }) => ({
  batch: passBatch(pass, range),
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
export const flags = {
  ...LOCK_FLAGS, ...BATCH_FLAGS, 'sleep-ms': TEXT, restart: YES, jobs: TEXT,
  'target-batch-ms': TEXT, 'max-xact-age-s': TEXT, 'max-replication-lag-ms': TEXT,
} as const satisfies Flags;

/**
 * --jobs: two sessions walk each parallel pass (the inbox links, the creators) by
 * default. The one-statement reference is one busy backend that maintains every index
 * row by row; one job of short batches was 1.08-1.26× its time (issue 18's bench,
 * 10,000 to 1,000,000 users), two 0.79-0.94×. Each job keeps the lock discipline of
 * one, on rows of its own, and the health pauses hold for both. --jobs 1: one session.
 */
export const DEFAULT_JOBS = 2;
/**
 * --target-batch-ms: a batch holds its row locks until it commits, so its duration is
 * the longest an app write on one of its rows waits, on top of the write's own work:
 * half the 200 ms latency goal (issue 18). The premium passes lock the premiums a plan
 * change locks, whose trigger path is the app's longest: at 200 ms, plan changes took
 * up to 288 ms at 300,000 users (`npm run bench -- --live-only`, --jobs 2); at 100 ms
 * the slowest app write took 96 ms.
 */
export const DEFAULT_TARGET_BATCH_MS = 100;
/**
 * --max-replication-lag-ms: a read replica 10 s behind serves visibly stale data; it
 * is well below the 60 s at which preflight refuses to start (MAX_REPLAY_LAG_SECONDS).
 */
export const DEFAULT_MAX_REPLICATION_LAG_MS = 10_000;
/**
 * --max-xact-age-s: preflight's limit of a long transaction (300 s), one meaning for
 * the package. While one is open, vacuum cannot remove the row versions every batch
 * leaves behind: the backfill pauses rather than grow the tables' bloat.
 */
export const DEFAULT_MAX_XACT_AGE_S = DEFAULT_MAX_TRANSACTION_AGE_SECONDS;

export interface BackfillOptions {
  batchSize: number; sleepMs: number; restart: boolean; jobs: number;
  /** 0: every batch is batchSize. */
  targetBatchMs: number; maxXactAgeS: number; maxReplicationLagMs: number;
}
export const options = (o: Options): BackfillOptions => ({
  batchSize: batchSize(o), sleepMs: int(o, 'sleep-ms', 0), restart: Boolean(o.restart), jobs: bounded('jobs', int(o, 'jobs', DEFAULT_JOBS)),
  targetBatchMs: bounded('target-batch-ms', int(o, 'target-batch-ms', DEFAULT_TARGET_BATCH_MS)),
  maxXactAgeS: bounded('max-xact-age-s', int(o, 'max-xact-age-s', DEFAULT_MAX_XACT_AGE_S)),
  maxReplicationLagMs: bounded('max-replication-lag-ms', int(o, 'max-replication-lag-ms', DEFAULT_MAX_REPLICATION_LAG_MS)),
});

export async function runBackfill(ctx: Context, o: BackfillOptions): Promise<PassSummary[]> {
  const { batchSize: size, sleepMs } = o;
  const control = ctx.open(2);
  await assertEmailAi(control);
  const [{ installed }] = await control`select to_regproc('emailai_migration.backfill_batch') is not null as installed`;
  if (!installed) throw new RefusedError('the schema phase has not run: run `runner.ts schema` (or `ley up`) first; nothing was changed');
  const lock = await acquirePackageLock(control, ctx.target);
  let sql = ctx.open(1);
  const summaries: PassSummary[] = [];
  const health = new HealthWatch(control, { maxXactAgeS: o.maxXactAgeS, maxReplicationLagMs: o.maxReplicationLagMs });
  const pacing = { targetMs: o.targetBatchMs, health };
  try {
    await logged(control, PHASES.data, async () => {
      if (o.restart) await control.file(join(QUERIES_DIR, 'backfill_checkpoint_reset.sql'));
      await resumeWindowTriggers(control, sql, ctx.settings);
      const passes = await control`select pass, driving_table, parallel from emailai_migration.backfill_passes() order by ordinal`;
      for (const { pass, driving_table: table, parallel } of passes) {
        const started = performance.now();
        const [cp] = await control`select last_key, finished from emailai_migration.backfill_checkpoint where pass = ${pass}`;
        if (cp?.finished) {
          summaries.push(skippedPass(pass, table));
          log.info(`  ✓ ${pass.padEnd(24)} already done`);
          continue;
        }
        const [{ total }] = await control`select count(*)::int as total from ${control(table)}`;
        const [{ before }] = cp?.last_key
          ? await control`select count(*)::int as before from ${control(table)} where id <= ${cp.last_key}`
          : [{ before: 0 }];
        const progress = new Progress(pass, total, before);
        const onInterrupt = (after: string | null) => {
          progress.end();
          return new InterruptedError(`interrupted by the operator during pass ${pass} after key ${after ?? '(start)'}; ` +
            `every finished batch is committed: run backfill again to resume`);
        };
        if (parallel && o.jobs > 1) {
          const t = await parallelPass(ctx, control, { pass, size, sleepMs, ...pacing, jobs: o.jobs, after: cp?.last_key ?? null, progress, onInterrupt });
          progress.end();
          summaries.push(passSummary(pass, table, t, started));
          continue;
        }
        const t = await keysetLoop({
          ...passLoop(pass), sql: () => sql, settings: ctx.settings, size, sleepMs, ...pacing, after: cp?.last_key ?? null,
          interrupted: () => ctx.interrupted(),
          onInterrupt,
          onPause: (reasons, ms) => progress.pause(reasons, ms),
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
        summaries.push(passSummary(pass, table, t, started));
      }
      await control`analyze "Organization", "OrganizationMember"`;
    });
  } finally {
    await lock.release();
  }
  return summaries;
}

/**
 * A parallel pass (sql/310) walked by `jobs` sessions side by side, each over its own
 * key range (backfill_split_keys), each batch its own short transaction under the same
 * lock discipline as a single job's. The pass's checkpoint is the end of the ranges
 * done without a gap (backfill_checkpoint_advance): after a crash the backfill resumes
 * there, and the batches above it it had already done are run again and change
 * nothing. One job failing or an interrupt stops the others at their next batch;
 * every session has ended before this returns or throws.
 */
async function parallelPass(ctx: Context, control: Sql, p: {
  pass: string; size: number; sleepMs: number; targetMs: number; health: HealthWatch; jobs: number; after: string | null;
  progress: Progress; onInterrupt: (after: string | null) => Error;
}): Promise<BatchTotals> {
  const [{ keys }] = await control`select emailai_migration.backfill_split_keys(${p.pass}, ${p.after}, ${p.jobs}) as keys`;
  const starts: (string | null)[] = [p.after, ...(keys as string[])];
  const ranges = starts.map((from, j) => ({ from, upto: (keys as string[])[j] ?? null, last: from, done: false }));
  // The first job to fail stops the others at their next batch; its error is the one thrown.
  let firstError: unknown;
  const stoppedBySibling = new Error('stopped: another job of the pass failed');
  let recording = Promise.resolve();
  const record = (rows: number) => {
    const open = ranges.find(r => !r.done);
    const doneUpTo = open ? open.last : ranges[ranges.length - 1].last;
    // In order, on the control session: the checkpoint never sees a later call first.
    recording = recording.then(async () => {
      await control`select emailai_migration.backfill_checkpoint_advance(${p.pass}, ${doneUpTo}, ${rows}, ${!open})`;
    });
    return recording;
  };
  const settled = await Promise.allSettled(ranges.map(async range => {
    const sql = ctx.open(1);
    try {
      const totals = await keysetLoop({
        ...passLoop(p.pass, range), sql: () => sql, settings: ctx.settings, size: p.size, sleepMs: p.sleepMs, after: range.from,
        targetMs: p.targetMs, health: p.health,
        interrupted: () => firstError !== undefined || ctx.interrupted(),
        onInterrupt: after => (firstError !== undefined && !ctx.interrupted() ? stoppedBySibling : p.onInterrupt(after)),
        onPause: (reasons, ms) => p.progress.pause(reasons, ms),
        afterBatch: async (r, _totals, asked) => {
          p.progress.update(r.rows_seen, r.rows_changed);
          range.last = r.last_key;
          if (r.rows_seen < asked) range.done = true;
          await record(r.rows_seen);
        },
      });
      return totals;
    } catch (err) {
      if (err !== stoppedBySibling) firstError ??= err;
      throw err;
    } finally {
      await sql.end({ timeout: 5 }).catch(() => {});
    }
  }));
  if (firstError !== undefined) throw firstError;
  await recording;
  const all = settled.map(s => (s as PromiseFulfilledResult<BatchTotals>).value);
  return {
    rowsSeen: all.reduce((n, t) => n + t.rowsSeen, 0), rowsChanged: all.reduce((n, t) => n + t.rowsChanged, 0),
    batches: all.reduce((n, t) => n + t.batches, 0), lastKey: all[all.length - 1].lastKey,
    // The jobs pause together (one health sample serves them): the pass's pause is its longest job's.
    pausedMs: Math.max(...all.map(t => t.pausedMs)), maxBatchMs: Math.max(...all.map(t => t.maxBatchMs)),
    recent: all.flatMap(t => t.recent),
  };
}

export async function run(ctx: Context): Promise<number> {
  const o = options(ctx.options);
  log.info(`backfill: ${ctx.target.display}`);
  const summaries = await runBackfill(ctx, o);
  if (ctx.json) log.json({ command: 'backfill', passes: summaries });
  return 0;
}
