// The package's advisory lock: one runner (or `ley up`/`ley down`) at a time.
// A session-level lock on a reserved connection, held for the whole command. It
// holds only on a real session: before taking it the connection is probed for a
// transaction-mode pooler (lib/pooler.ts) and refused (exit 3) if it is one, and
// after taking it the next transaction must still see it as this session's.
import type { ReservedSql, Sql } from 'postgres';
import { PoolerRefusedError, directConnectionProblem, POOLER_FIX, type PoolerTarget } from './pooler.ts';

export const PACKAGE_LOCK_KEY = 727366001;

export class LockHeldError extends Error {
  code = 'EMAILAI_LOCK_HELD';
}

export interface HeldLock {
  release(): Promise<void>;
}

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
  const [{ locked }] = await conn`select pg_try_advisory_lock(${PACKAGE_LOCK_KEY}) as locked`;
  if (!locked) {
    const holder = await lockHolder(conn);
    conn.release();
    throw new LockHeldError(
      `another migration runner holds the package lock${holder ? ` (${holder})` : ''}; nothing was changed. ` +
      `Wait for it to finish (runner.ts status shows its progress), then run this again.`);
  }
  const [{ held }] = await conn.unsafe(`
    select exists (select 1 from pg_catalog.pg_locks
                   where locktype = 'advisory' and granted and pid = pg_backend_pid()
                     and classid = 0 and objid = $1 and objsubid = 1) as held`, [PACKAGE_LOCK_KEY]);
  if (!held) {
    await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`.catch(() => {});
    conn.release();
    throw new PoolerRefusedError(`${target?.display ?? 'the connection'} goes through a transaction-mode pooler (the package lock ` +
      `just taken was not this session's in the next transaction; it may stay on a pooled backend until the pooler closes it). ` +
      POOLER_FIX[0].toUpperCase() + POOLER_FIX.slice(1));
  }
  return {
    async release() {
      await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`.catch(() => {});
      conn.release();
    },
  };
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
