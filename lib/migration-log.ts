// The runbook's migration_log: one row per operation, in_progress -> completed |
// failed | rolled_back. Written outside the operation's own transactions, so a
// failure is recorded even when the work is rolled back.
import type { Sql } from 'postgres';
import { scrub } from './log.ts';

/**
 * Every migration_name this package writes to migration_log, in one place. The SQL
 * of queries/ and checks/ names some of them as literals (test/structure.test.ts checks
 * each such literal is one of these).
 */
export const PHASES = {
  /** `schema` (ley up of the migrations), the runbook's phase 1. */
  schema: 'multi_tenant_schema',
  /** `rollback --schema`'s ley down. */
  schemaRollback: 'multi_tenant_schema_rollback',
  /** `backfill` (and `up`'s data phase), the runbook's phase 2. */
  data: 'multi_tenant_data',
  /** `handover`: its first completed row starts the window the *_since_handover checks read. */
  handover: 'multi_tenant_handover',
  /** `rollback --keep-orgs | --orgs` (and the data part of --schema). */
  rollback: 'multi_tenant_rollback',
  repairUser: 'multi_tenant_repair_user',
  repairSeats: 'multi_tenant_repair_seats',
  cleanup: 'cleanup',
} as const;
export type Phase = typeof PHASES[keyof typeof PHASES];

export async function logStart(sql: Sql, name: Phase): Promise<number> {
  const [row] = await sql`
    insert into migration_log (migration_name, status) values (${name}, 'in_progress') returning id`;
  return row.id as number;
}

export async function logEnd(sql: Sql, id: number, status: 'completed' | 'failed' | 'rolled_back',
                             error?: unknown): Promise<void> {
  const message = error === undefined ? null : scrub((error as Error)?.message ?? String(error)).slice(0, 4000);
  await sql`
    update migration_log set status = ${status}, completed_at = now(), error_message = ${message}
    where id = ${id}`;
}

/** Marks the newest completed row of a phase as rolled back (after its undo). */
export async function logRolledBack(sql: Sql, name: Phase): Promise<void> {
  await sql`
    update migration_log set status = 'rolled_back'
    where id = (select max(id) from migration_log where migration_name = ${name} and status = 'completed')`;
}

/** Runs fn between an in_progress row and its completed/failed end. */
export async function logged<T>(sql: Sql, name: Phase, fn: () => Promise<T>): Promise<T> {
  const id = await logStart(sql, name);
  try {
    const result = await fn();
    await logEnd(sql, id, 'completed');
    return result;
  } catch (err) {
    await logEnd(sql, id, 'failed', err).catch(() => {});
    throw err;
  }
}
