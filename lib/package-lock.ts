// The package's advisory lock: one runner (or `ley up`/`ley down`) at a time.
// A session-level lock on a reserved connection, held for the whole command.
import type { ReservedSql, Sql } from 'postgres';

export const PACKAGE_LOCK_KEY = 727366001;

export class LockHeldError extends Error {
  code = 'EMAILAI_LOCK_HELD';
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquirePackageLock(sql: Sql): Promise<HeldLock> {
  const conn: ReservedSql = await sql.reserve();
  const [{ locked }] = await conn`select pg_try_advisory_lock(${PACKAGE_LOCK_KEY}) as locked`;
  if (!locked) {
    const holder = await lockHolder(conn);
    conn.release();
    throw new LockHeldError(
      `another migration runner holds the package lock${holder ? ` (${holder})` : ''}; nothing was changed. ` +
      `Wait for it to finish (runner.ts status shows its progress), then run this again.`);
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
