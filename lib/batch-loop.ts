// The one keyset batch loop of the data commands: backfill's passes, handover's
// catch-up, rollback's passes and repair --seats. Each batch is one short transaction
// (short-transaction.ts: lock_timeout, retries, the package lock checked) that reads
// the keys after the last one it was given, does its work and answers the last key it
// saw and its counts. The loop stops on a short batch (fewer keys than the batch size:
// nothing is left after it), checks for an operator's interrupt before every batch,
// and adds up the totals. No checkpoint of its own: a caller that resumes passes the
// key to start after (the backfill's checkpoint), the others rescan, every batch
// being guarded.
import type { Sql } from 'postgres';
import { sleep, type LockSettings } from './lock-settings.ts';
import { inShortTransaction } from './short-transaction.ts';
import * as log from './log.ts';

/** What one batch answers: the last key it read and how many rows it read and changed. */
export interface BatchResult { last_key: string | null; rows_seen: number; rows_changed: number }

export interface BatchTotals { rowsSeen: number; rowsChanged: number; batches: number; lastKey: string | null }

export interface KeysetLoop {
  /** The session the next batch runs on (the caller may replace it between batches). */
  sql: () => Sql;
  settings: LockSettings;
  size: number;
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
  /** After each batch, outside its transaction (progress, statistics). */
  afterBatch?: (r: BatchResult, totals: BatchTotals) => Promise<void> | void;
}

export async function keysetLoop(o: KeysetLoop): Promise<BatchTotals> {
  const totals: BatchTotals = { rowsSeen: 0, rowsChanged: 0, batches: 0, lastKey: o.after ?? null };
  for (;;) {
    const after = totals.lastKey;
    if (o.interrupted()) throw o.onInterrupt(after);
    if (o.doing) log.doing(o.doing(after));
    const r = await inShortTransaction(o.sql(), o.settings, tx => o.batch(tx, after, o.size),
      { retryOn: o.retryOn, rollBack: o.rollBack });
    totals.batches++;
    totals.rowsSeen += r.rows_seen;
    totals.rowsChanged += r.rows_changed;
    totals.lastKey = r.last_key;
    await o.afterBatch?.(r, totals);
    if (r.rows_seen < o.size) return totals;
    if (o.sleepMs) await sleep(o.sleepMs);
  }
}
