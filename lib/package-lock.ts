// The package's advisory lock: one runner (or `ley up`/`ley down`) at a time.
// A session-level lock on a reserved connection, held for the whole command.
//
// That session can end under us (pg_terminate_backend, an idle_session_timeout of
// the role, a network cut) and the lock with it; a second runner could then take it.
// So every batch and every step checks, inside its own transaction, that the lock is
// still held (assertPackageLockHeld) and stops the command when it is not, and two
// runners never write at the same time:
//   - the lock session also holds a lock of its own, (SESSION_TOKEN_CLASS, a random
//     token): a session-level lock goes only with its session, so while that token is
//     held our session lives and still holds the package lock. A batch that can take
//     the token itself (pg_try_advisory_xact_lock) knows the session is gone, and
//     stops before it writes; a second runner that took the freed lock changes
//     nothing in this: the check is exact, and costs no read of pg_locks;
//   - every batch and step holds (BATCH_BARRIER_CLASS, 0) shared for its transaction,
//     and a runner that has just taken the package lock takes the barrier once,
//     exclusively, before its first write: it waits for a batch of a runner whose lock
//     session died while that batch was under way.
//
// The lock holds only on a real session: before taking it the connection is probed
// for a transaction-mode pooler (lib/pooler.ts) and refused (exit 3) if it is one,
// and after taking it the next transaction must still see it as this session's.
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { ReservedSql, Sql } from 'postgres';
import { QUERIES_DIR } from './paths.ts';
import { LockHeldError, PackageLockLostError, PoolerRefusedError } from './errors.ts';
import * as log from './log.ts';
import { directConnectionProblem, POOLER_FIX, type PoolerTarget } from './pooler.ts';

export const PACKAGE_LOCK_KEY = 727366001;
/** Two-key advisory locks (objsubid 2 in pg_locks: they never meet the one-key package lock). */
const SESSION_TOKEN_CLASS = 727366002;
export const BATCH_BARRIER_CLASS = 727366003;

export interface HeldLock {
  /** The backend pid of the session that holds the lock. */
  pid: number;
  release(): Promise<void>;
}

/** The lock this process holds, if any: what assertPackageLockHeld checks against. */
let held: { pid: number; token: number } | undefined;

export async function acquirePackageLock(sql: Sql, target?: PoolerTarget): Promise<HeldLock> {
  const conn: ReservedSql = await sql.reserve();
  let problem: string | undefined;
  try {
    problem = await directConnectionProblem(sql, target, conn);
  } catch (err) {
    conn.release();
    throw err;
  }
  if (problem) {
    conn.release();
    throw new PoolerRefusedError(problem);
  }
  const [{ locked, pid, version }] = await conn`
    select pg_try_advisory_lock(${PACKAGE_LOCK_KEY}) as locked, pg_backend_pid() as pid,
           current_setting('server_version_num')::int as version`;
  if (!locked) {
    const holder = await lockHolder(conn);
    conn.release();
    throw new LockHeldError(
      `another migration runner holds the package lock${holder ? ` (${holder})` : ''}; nothing was changed. ` +
      `Wait for it to finish (runner.ts status shows its progress), then run this again.`);
  }
  // The next transaction on the lock session must see the lock as its own (a pooler
  // hands it another backend).
  const [{ mine }] = await conn.unsafe(`
    select exists (select 1 from pg_catalog.pg_locks
                   where locktype = 'advisory' and granted and pid = pg_backend_pid()
                     and classid = 0 and objid = $1 and objsubid = 1) as mine`, [PACKAGE_LOCK_KEY]);
  if (!mine) {
    await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`.catch(() => {});
    conn.release();
    throw new PoolerRefusedError(`${target?.display ?? 'the connection'} goes through a transaction-mode pooler (the package lock ` +
      `just taken was not this session's in the next transaction; it may stay on a pooled backend until the pooler closes it). ` +
      POOLER_FIX[0].toUpperCase() + POOLER_FIX.slice(1));
  }
  // The lock session sits idle for the whole command: a role's idle_session_timeout
  // (PostgreSQL 14+) would end it, and the lock with it.
  if (version >= 140000) await conn`select set_config('idle_session_timeout', '0', false)`;
  const token = randomInt(1, 2 ** 31 - 1);
  await conn`select pg_advisory_lock(${SESSION_TOKEN_CLASS}, ${token})`;
  // A runner whose lock session died may still be inside a batch: it ends first.
  await conn`select pg_advisory_lock(${BATCH_BARRIER_CLASS}, 0)`;
  await conn`select pg_advisory_unlock(${BATCH_BARRIER_CLASS}, 0)`;
  held = { pid, token };
  await closeAbandonedRuns(conn);
  return {
    pid,
    async release() {
      if (held?.pid === pid) held = undefined;
      // Asked on another connection of the pool: a reserved connection whose session
      // was terminated must not be used again (postgres.js 3.4.9 then throws from a
      // socket callback, past every catch). A dead one is left to the pool's end().
      if (!(await lockHeldBy(sql, pid).catch(() => false))) return;
      await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`.catch(() => {});
      await conn`select pg_advisory_unlock(${SESSION_TOKEN_CLASS}, ${token})`.catch(() => {});
      conn.release();
    },
  };
}

/**
 * Throws PackageLockLostError unless our lock session still holds the package lock.
 * Call it inside the transaction of a batch or a step, before its work.
 */
export async function assertPackageLockHeld(sql: Sql): Promise<void> {
  if (!held) return;
  // First the barrier (shared, until this transaction ends: a runner taking the
  // lock waits for it), then the token: taken here, our lock session is gone.
  // Two function calls in one round trip (a select list is evaluated left to right),
  // no read of pg_locks (which cost about 10 ms a batch).
  const [{ gone }] = await sql`
    select pg_advisory_xact_lock_shared(${BATCH_BARRIER_CLASS}, 0) as barrier,
           pg_try_advisory_xact_lock(${SESSION_TOKEN_CLASS}, ${held.token}) as gone`;
  if (gone) {
    held = undefined;
    throw new PackageLockLostError('the package lock was lost (the session holding it ended: terminated, or an idle or network timeout); ' +
      'nothing more was changed; run the same command again to resume');
  }
}

async function lockHeldBy(sql: Sql, pid: number): Promise<boolean> {
  const [{ ok }] = await sql`
    select exists (select 1 from pg_locks
                   where locktype = 'advisory' and classid = 0 and objid = ${PACKAGE_LOCK_KEY}
                     and objsubid = 1 and granted and pid = ${pid}) as ok`;
  return Boolean(ok);
}

/** migration_log rows left in_progress by a dead run become failed (we hold the lock: none is live). */
async function closeAbandonedRuns(sql: Sql): Promise<void> {
  const [{ present }] = await sql`select to_regclass('public.migration_log') is not null as present`;
  if (!present) return;
  const closed = await sql.file(join(QUERIES_DIR, 'migration_log_close_abandoned.sql'));
  for (const r of closed) log.warn(`migration_log row ${r.id} (${r.migration_name}) was left in_progress by a run that died: marked failed`);
}

export async function lockHolder(sql: Sql): Promise<string | undefined> {
  const rows = await sql`
    select a.pid, a.application_name, a.client_addr::text as addr,
           to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS') as since
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.classid = 0 and l.objid = ${PACKAGE_LOCK_KEY}
      and l.objsubid = 1 and a.datname = current_database()`;
  if (!rows.length) return undefined;
  const r = rows[0];
  return `pid ${r.pid}, application '${r.application_name}', connected since ${r.since}`;
}
