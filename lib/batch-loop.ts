// The one keyset batch loop of the data commands: backfill's passes, handover's
// catch-up, rollback's passes and repair --seats. Each batch is one short transaction
// (short-transaction.ts: lock_timeout, retries, the package lock checked) that reads
// the keys after the last one it was given, does its work and answers the last key it
// saw and its counts. The loop stops on a short batch (fewer keys than the batch size:
// nothing is left after it), checks for an operator's interrupt before every batch,
// and adds up the totals. No checkpoint of its own: a caller that resumes passes the
// key to start after (the backfill's checkpoint), the others rescan, every batch
// being guarded.
//
// Two options the backfill takes: `targetMs` sizes each batch from the duration of
// the last (nextBatchSize: a batch holds its row locks for its whole transaction, so
// its duration is the app's worst extra wait behind it), starting small
// (FIRST_SIZED_BATCH), `size` being the most; `health` pauses before a batch while
// the database is unhealthy (lib/health.ts), the interrupt still checked during the pause.
import type { Sql } from 'postgres';
import { sleep, type LockSettings } from './lock-settings.ts';
import { inShortTransaction } from './short-transaction.ts';
import { type HealthWatch, PAUSE_FIRST_MS, PAUSE_MAX_MS } from './health.ts';
import * as log from './log.ts';

/** What one batch answers: the last key it read and how many rows it read and changed. */
export interface BatchResult { last_key: string | null; rows_seen: number; rows_changed: number }

export interface BatchTotals {
  rowsSeen: number; rowsChanged: number; batches: number; lastKey: string | null;
  /** Time spent paused for the database's health, in ms. */
  pausedMs: number;
  /** The slowest batch, in ms, and the last RECENT_BATCHES batches' size and duration (flat memory). */
  maxBatchMs: number;
  recent: { size: number; ms: number }[];
}

export const RECENT_BATCHES = 32;
/** The smallest size the sizing goes down to (or --batch-size, when smaller). */
export const MIN_SIZED_BATCH = 10;
/**
 * With a duration target, the first batch of a loop asks for this many rows (or
 * --batch-size, when smaller), and the sizing grows it from there (×2 a batch while
 * batches are short). The first batch is the one nothing is known about: cold cache,
 * first plans, rows of unknown cost; at 300,000 users a pass's first full-size batches
 * ran up to 924 ms under a 200 ms target.
 */
export const FIRST_SIZED_BATCH = 100;

/**
 * The size of the next batch from the last one's size and duration: multiplicative,
 * by at most a factor of 2 either way (damped: one slow batch halves it, no more),
 * unchanged within 0.8–1.25 of the target (noise), between MIN_SIZED_BATCH and `max`.
 */
export function nextBatchSize(size: number, ms: number, targetMs: number, max: number): number {
  const ratio = targetMs / Math.max(ms, 1);
  if (ratio >= 0.8 && ratio <= 1.25) return Math.min(size, max);
  const next = Math.round(size * Math.min(2, Math.max(0.5, ratio)));
  return Math.max(Math.min(MIN_SIZED_BATCH, max), Math.min(max, next));
}

/** The median of the recent batches' durations (ms), 0 without batches. */
export function medianMs(recent: { ms: number }[]): number {
  if (!recent.length) return 0;
  const ms = recent.map(b => b.ms).sort((a, b) => a - b);
  const mid = ms.length >> 1;
  return ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
}

export interface KeysetLoop {
  /** The session the next batch runs on (the caller may replace it between batches). */
  sql: () => Sql;
  settings: LockSettings;
  /** The batch size; with targetMs, the most any batch is given (the first asks for FIRST_SIZED_BATCH). */
  size: number;
  /** Sizes each next batch so that it lasts about this long (ms); absent or 0: every batch is `size`. */
  targetMs?: number;
  /** Pauses before a batch while the database is unhealthy. */
  health?: HealthWatch;
  /** Told when a pause starts (its reasons) and when it ends (reasons null, the pause's length). */
  onPause?: (reasons: string[] | null, pausedMs: number) => void;
  /** The key to start after (a checkpoint); null or absent: from the start. */
  after?: string | null;
  /** Pause between batches (--sleep-ms). */
  sleepMs?: number;
  /** SQLSTATEs retried besides the lock ones (short-transaction.ts). */
  retryOn?: string[];
  /** Each batch's transaction is rolled back (--dry-run); its counts are still added up. */
  rollBack?: boolean;
  /** Named while a batch runs (the message of a lost connection), e.g. `pass x, the batch after key k`. */
  doing?: (after: string | null) => string;
  interrupted: () => boolean;
  /** The error an interrupt stops the loop with, before the batch after `after`. */
  onInterrupt: (after: string | null) => Error;
  /** One batch's statement, in the loop's transaction. */
  batch: (tx: Sql, after: string | null, size: number) => Promise<BatchResult>;
  /** After each batch, outside its transaction (progress, statistics); `size`: what the batch was asked for. */
  afterBatch?: (r: BatchResult, totals: BatchTotals, size: number) => Promise<void> | void;
}

export async function keysetLoop(o: KeysetLoop): Promise<BatchTotals> {
  const totals: BatchTotals = { rowsSeen: 0, rowsChanged: 0, batches: 0, lastKey: o.after ?? null, pausedMs: 0, maxBatchMs: 0, recent: [] };
  let size = o.targetMs ? Math.min(o.size, FIRST_SIZED_BATCH) : o.size, lastMs = 0;
  for (;;) {
    const after = totals.lastKey;
    if (o.interrupted()) throw o.onInterrupt(after);
    if (o.doing) log.doing(o.doing(after));
    // The health samples land mid-batch: the app waits behind us while the batch holds its locks.
    o.health?.batchStarted(Math.min(500, lastMs ? lastMs / 2 : 20));
    const asked = size;
    const started = performance.now();
    let r: BatchResult;
    try {
      r = await inShortTransaction(o.sql(), o.settings, tx => o.batch(tx, after, asked),
        { retryOn: o.retryOn, rollBack: o.rollBack });
    } finally {
      o.health?.batchEnded();
    }
    lastMs = performance.now() - started;
    totals.batches++;
    totals.rowsSeen += r.rows_seen;
    totals.rowsChanged += r.rows_changed;
    totals.lastKey = r.last_key;
    totals.maxBatchMs = Math.max(totals.maxBatchMs, lastMs);
    totals.recent.push({ size: asked, ms: Math.round(lastMs) });
    if (totals.recent.length > RECENT_BATCHES) totals.recent.shift();
    await o.afterBatch?.(r, totals, asked);
    if (r.rows_seen < asked) return totals;
    if (o.targetMs) size = nextBatchSize(asked, lastMs, o.targetMs, o.size);
    if (o.health) await pauseWhileUnhealthy(o, o.health, totals);
    if (o.sleepMs) await sleep(o.sleepMs);
  }
}

/** Waits, re-checking with a doubling wait, until the health check finds no reason to pause. */
async function pauseWhileUnhealthy(o: KeysetLoop, health: HealthWatch, totals: BatchTotals): Promise<void> {
  let reasons = await health.current();
  if (!reasons.length) return;
  const started = performance.now();
  for (let wait = PAUSE_FIRST_MS; reasons.length; wait = Math.min(PAUSE_MAX_MS, wait * 2)) {
    o.onPause?.(reasons, performance.now() - started);
    // In slices: Ctrl-C stops a pause within 100 ms.
    for (const until = performance.now() + wait; performance.now() < until;) {
      if (o.interrupted()) {
        totals.pausedMs += performance.now() - started;
        throw o.onInterrupt(totals.lastKey);
      }
      await sleep(Math.min(100, Math.max(1, until - performance.now())));
    }
    reasons = await health.recheck();
  }
  const paused = performance.now() - started;
  totals.pausedMs += paused;
  o.onPause?.(null, paused);
}
