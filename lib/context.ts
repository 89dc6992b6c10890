// What every command gets from runner.ts: its options, the target database and the
// lock settings. Connections are opened by the command, closed by the runner.
// Each command module owns its flags (`flags`, from which runner.ts builds a strict
// parser: a flag the command does not declare is a usage error) and its one-line
// `summary`, and reads its values once, at the top of `run`.
import type { Sql } from 'postgres';
import { connect, type Target } from './connection.ts';
import { UsageError } from './errors.ts';
import { BOUNDS, bounded, type LockSettings } from './lock-settings.ts';

export type Options = Record<string, string | boolean | string[] | undefined>;

/** One flag, as node:util's parseArgs takes it (every value is read as a string, then parsed). */
export interface Flag { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
export type Flags = Record<string, Flag>;
export const TEXT = { type: 'string' } as const satisfies Flag;
export const YES = { type: 'boolean' } as const satisfies Flag;

/** Every command takes these. */
export const COMMON_FLAGS = { 'database-url': TEXT, json: YES, debug: YES, help: { type: 'boolean', short: 'h' } } as const satisfies Flags;
/** The commands that run steps or batches under lock_timeout (BOUNDS, and their variables). */
export const LOCK_FLAGS = { 'lock-timeout': TEXT, 'lock-retries': TEXT, 'index-wait': TEXT } as const satisfies Flags;
/** The batched commands (batchSize). */
export const BATCH_FLAGS = { 'batch-size': TEXT, 'allow-long-batches': YES } as const satisfies Flags;

/** What runner.ts loads for a command: lib/commands/<name>.ts. */
export interface CommandModule {
  summary: string;
  flags: Flags;
  run(ctx: Context): Promise<number>;
}

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

export const DEFAULT_BATCH_SIZE = 2000;

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
