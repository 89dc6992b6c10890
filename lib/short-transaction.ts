// One short transaction under lock_timeout, retried with exponential backoff and
// jitter when it could not get a lock in time, deadlocked, or hit a serialization
// failure: the data batches of backfill, rollback and repair all run through here.
// Each first checks that the command still holds the package lock (package-lock.ts).
import type { Sql } from 'postgres';
import { backoffMs, RETRYABLE, sleep, type LockSettings } from './lock-settings.ts';
import { assertPackageLockHeld } from './package-lock.ts';

/**
 * A foreign-key violation (23503) a batch meets when a row it reads is deleted under it
 * (a user deleted by the app between the batch's read and its insert of a membership):
 * retried like a lock timeout, by the callers that pass it (the backfill), since the
 * next try no longer sees the row. SPEC rule 6: an ordinary delete never fails a batch.
 */
export const DELETED_UNDER_BATCH = ['23503'];

export async function inShortTransaction<T>(sql: Sql, settings: LockSettings, fn: (tx: Sql) => Promise<T>,
                                            opts: { retryOn?: string[] } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sql.begin(async tx => {
        await tx`select set_config('lock_timeout', ${settings.lockTimeoutMs + 'ms'}, true)`;
        await assertPackageLockHeld(tx as unknown as Sql);
        return fn(tx as unknown as Sql);
      }) as T;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && (RETRYABLE.has(code) || opts.retryOn?.includes(code)) && attempt <= settings.lockRetries) {
        await sleep(backoffMs(attempt));
        continue;
      }
      throw err;
    }
  }
}
