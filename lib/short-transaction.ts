// One short transaction under lock_timeout, retried with exponential backoff and
// jitter when it could not get a lock in time, deadlocked, or hit a serialization
// failure: the data batches of backfill, rollback and repair all run through here.
// Each first checks that the command still holds the package lock (package-lock.ts).
import type { Sql } from 'postgres';
import { type LockSettings, withRetries } from './lock-settings.ts';
import { assertPackageLockHeld } from './package-lock.ts';

/**
 * A foreign-key violation (23503) a batch meets when a row it reads is deleted under it
 * (a user deleted by the app between the batch's read and its insert of a membership):
 * retried like a lock timeout, by the callers that pass it (the backfill), since the
 * next try no longer sees the row. SPEC rule 6: an ordinary delete never fails a batch.
 */
export const DELETED_UNDER_BATCH = ['23503'];

/** Thrown out of a transaction that is to be rolled back, carrying its result. */
class RolledBack extends Error {
  constructor(public result: unknown) { super('rolled back'); }
}

/**
 * fn in one short transaction. retryOn: SQLSTATEs retried besides the lock ones;
 * rollBack: the transaction is rolled back and fn's result returned (--dry-run).
 */
export async function inShortTransaction<T>(sql: Sql, settings: LockSettings, fn: (tx: Sql) => Promise<T>,
                                            opts: { retryOn?: string[]; rollBack?: boolean } = {}): Promise<T> {
  return withRetries(settings, async () => {
    try {
      return await sql.begin(async tx => {
        await tx`select set_config('lock_timeout', ${settings.lockTimeoutMs + 'ms'}, true)`;
        await assertPackageLockHeld(tx as unknown as Sql);
        const result = await fn(tx as unknown as Sql);
        if (opts.rollBack) throw new RolledBack(result);
        return result;
      }) as T;
    } catch (err) {
      if (err instanceof RolledBack) return err.result as T;
      throw err;
    }
  }, { retryOn: opts.retryOn });
}
