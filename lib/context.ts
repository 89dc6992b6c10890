// What every command gets from runner.ts: its options, the target database and the
// lock settings. Connections are opened by the command, closed by the runner.
import type { Sql } from 'postgres';
import { connect, type Target } from './connection.ts';
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

export function int(options: Options, key: string, fallback: number): number {
  const v = str(options, key);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) {
    throw Object.assign(new Error(`--${key} takes a whole number, got "${v}"`), { exitCode: 2 });
  }
  return Number(v);
}
