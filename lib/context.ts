// What every command gets from runner.ts: its options, the target database and the
// lock settings. Connections are opened by the command, closed by the runner.
import type { Sql } from 'postgres';
import { connect, type Target } from './connection.ts';
import { UsageError } from './errors.ts';
import type { LockSettings } from './steps.ts';

export type Options = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  command: string;
  options: Options;
  positionals: string[];
  target: Target;
  json: boolean;
  settings: LockSettings;
  /** Opens a pool on the target; the runner ends every pool it opened. */
  open(max?: number): Sql;
  /** Resolves when Ctrl-C was pressed: long commands stop at a batch boundary. */
  interrupted(): boolean;
}

export function makeOpener(target: Target, pools: Sql[]) {
  return (max = 4): Sql => {
    const sql = connect(target, { max });
    pools.push(sql);
    return sql;
  };
}

export function str(options: Options, key: string): string | undefined {
  const v = options[key];
  return typeof v === 'string' ? v : undefined;
}

/** --app-role app --app-role worker, or --app-role app,worker; else EMAILAI_APP_ROLES. */
export function appRoles(options: Options, env = process.env): string[] {
  const given = options['app-role'];
  const list = Array.isArray(given) ? given : typeof given === 'string' ? [given] : [env.EMAILAI_APP_ROLES ?? ''];
  return list.flatMap(v => v.split(',')).map(r => r.trim()).filter(Boolean);
}

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
} as const;

export const DEFAULT_BATCH_SIZE = 2000;

/** A whole number within BOUNDS[key], else a usage error (exit 2) that says why. */
export function bounded(key: keyof typeof BOUNDS, value: number, source = `--${key}`): number {
  const b = BOUNDS[key];
  if (value < b.min || value > b.max) {
    const why = key === 'lock-timeout' && value < b.min ? ' (0 would turn the timeout off: the app would queue behind the DDL)' : '';
    throw new UsageError(`${source} ${value} is outside ${b.min}–${b.max}${b.unit ? ' ' + b.unit : ''}${why}`);
  }
  return value;
}

/**
 * --batch-size for every batched command: 1 to 20,000 rows, since one batch is one
 * transaction whose row locks the app may wait on; more only with
 * --allow-long-batches, which says what it risks.
 */
export function batchSize(options: Options): number {
  const v = int(options, 'batch-size', DEFAULT_BATCH_SIZE);
  if (v > BOUNDS['batch-size'].max && options['allow-long-batches']) return v;
  try {
    return bounded('batch-size', v);
  } catch (err) {
    if (v > BOUNDS['batch-size'].max) {
      (err as Error).message += ': one batch is one transaction, and the app waits on its row locks until it commits; ' +
        'pass --allow-long-batches to accept app stalls of seconds';
    }
    throw err;
  }
}

export function int(options: Options, key: string, fallback: number): number {
  const v = str(options, key);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${key} takes a whole number, got "${v}"`);
  }
  return Number(v);
}
