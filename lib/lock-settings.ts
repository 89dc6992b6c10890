// How long the app may wait behind us, in one place: the lock settings of every step
// and batch (lock_timeout, retries, the index build's wait), their bounds, and the
// retry with exponential backoff and jitter that steps.ts and short-transaction.ts use.
import { UsageError } from './errors.ts';

export interface LockSettings {
  /** lock_timeout of every DDL statement, in ms. */
  lockTimeoutMs: number;
  /** How many times a statement that hit lock_timeout is tried again. */
  lockRetries: number;
  /** lock_timeout of CREATE INDEX CONCURRENTLY's waits for older transactions, in ms. */
  indexWaitMs: number;
}

export const defaultLockSettings: LockSettings = {
  lockTimeoutMs: 100,
  lockRetries: 40,
  indexWaitMs: 60_000,
};

/**
 * The bounds of the settings that decide how long the app can wait behind us. A
 * lock_timeout of 0 turns the timeout off (the app then queues behind our DDL for as
 * long as any transaction holds the table: 11.9 s measured); a batch of a million
 * rows holds its row locks for seconds (8.0 s measured).
 */
export const BOUNDS = {
  'lock-timeout': { min: 10, max: 2000, unit: 'ms', env: 'EMAILAI_LOCK_TIMEOUT_MS' },
  'lock-retries': { min: 0, max: 1000, unit: '', env: 'EMAILAI_LOCK_RETRIES' },
  'index-wait': { min: 1000, max: 3_600_000, unit: 'ms', env: 'EMAILAI_INDEX_WAIT_MS' },
  'batch-size': { min: 1, max: 20_000, unit: 'rows', env: undefined },
  jobs: { min: 1, max: 8, unit: 'jobs', env: undefined },
  // The backfill's pacing (lib/batch-loop.ts nextBatchSize, lib/health.ts); 0 turns the sizing off.
  'target-batch-ms': { min: 0, max: 10_000, unit: 'ms', env: undefined },
  'max-xact-age-s': { min: 1, max: 86_400, unit: 's', env: undefined },
  'max-replication-lag-ms': { min: 100, max: 3_600_000, unit: 'ms', env: undefined },
} as const;

/** A whole number within BOUNDS[key], else a usage error (exit 2) that says why. */
export function bounded(key: keyof typeof BOUNDS, value: number, source = `--${key}`): number {
  const b = BOUNDS[key];
  if (value < b.min || value > b.max) {
    const why = key === 'lock-timeout' && value < b.min ? ' (0 would turn the timeout off: the app would queue behind the DDL)' : '';
    throw new UsageError(`${source} ${value} is outside ${b.min}–${b.max}${b.unit ? ' ' + b.unit : ''}${why}`);
  }
  return value;
}

export function lockSettingsFromEnv(env = process.env): LockSettings {
  const num = (key: 'lock-timeout' | 'lock-retries' | 'index-wait', d: number) => {
    const name = BOUNDS[key].env, v = env[name];
    if (v === undefined || v === '') return d;
    if (!/^\d+$/.test(v)) throw new UsageError(`${name} takes a whole number, got "${v}"`);
    return bounded(key, Number(v), name);
  };
  return {
    lockTimeoutMs: num('lock-timeout', defaultLockSettings.lockTimeoutMs),
    lockRetries: num('lock-retries', defaultLockSettings.lockRetries),
    indexWaitMs: num('index-wait', defaultLockSettings.indexWaitMs),
  };
}

/** Lock not granted within lock_timeout, deadlock, serialization failure: tried again. */
export const RETRYABLE = new Set(['55P03', '40P01', '40001']);

/** Backoff before try `attempt + 1`: doubling from 50 ms, at most 5 s, with jitter. */
export function backoffMs(attempt: number): number {
  return Math.round(Math.min(5000, 50 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random() / 2));
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * attempt(1), then again after backoffMs while it fails with a retryable SQLSTATE
 * (RETRYABLE, or one of `retryOn`) and `settings.lockRetries` tries are left: at most
 * lockRetries + 1 tries. describe(code, n, waitMs) is told of each retry before its
 * wait (try n failed with code). Any other error, or the last try's, is thrown as it is.
 */
export async function withRetries<T>(settings: LockSettings, attempt: (n: number) => Promise<T>,
                                     opts: { retryOn?: readonly string[]; describe?: (code: string, n: number, waitMs: number) => void } = {}): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || !(RETRYABLE.has(code) || opts.retryOn?.includes(code)) || n > settings.lockRetries) throw err;
      const wait = backoffMs(n);
      opts.describe?.(code, n, wait);
      await sleep(wait);
    }
  }
}
