// Refuses a connection through a transaction-mode pooler (PgBouncer pool_mode =
// transaction, Supabase's pooler on port 6543, Neon's `-pooler` host, RDS Proxy).
// Through one, each transaction may run on another server backend: the package lock
// (lib/package-lock.ts, a session-level advisory lock held on one reserved, idle
// connection for the whole command) stays on a backend the pooler hands to somebody
// else, and a session setting lands in strangers' transactions. No single probe
// catches every pooler, so four run and any one refuses:
//   (d) host and port: Neon's `-pooler.` host, port 6543 on a Supabase host, an RDS
//       Proxy `.proxy-` endpoint. Free, and it names the exact fix; a pooler behind
//       another name passes it, hence the probes.
//   (a) one reserved connection, two transactions: different pg_backend_pid() means
//       the second transaction got another backend (a busy or round-robin pool).
//   (c) a session advisory lock (a probe key, not the package's) taken in the first
//       transaction is missing from pg_locks for pg_backend_pid() in the second: a
//       pooler that reset the backend (DISCARD ALL) or a reused pid.
//   (b) a second connection opened while the first is reserved and idle reports the
//       first one's pid: a quiet pool (LIFO, or one server) gives its one idle
//       backend to every client, so (a) and (c) see nothing.
// On a direct connection this costs three short queries and one more connection.
// A probe that fails with "prepared statement does not exist" (26000) is a pooler too.
import { randomInt } from 'node:crypto';
import type { ReservedSql, Sql } from 'postgres';
import { connect, type Target } from './connection.ts';
import { PoolerRefusedError } from './errors.ts';

/** Where we connect (connection.ts's Target: the host and port are what (d) reads). */
export type PoolerTarget = Target;

const PROBE_LOCK_CLASS = 727366002;

const FIX = 'connect directly to the database server, not through a transaction-mode pooler: ' +
  'for Supabase use port 5432 / the direct host, for Neon the host without -pooler, ' +
  'for RDS the instance endpoint, not the RDS Proxy one; nothing was changed';

/** (d): the managed-Postgres pooler endpoints known by name. Pure; undefined when none matches. */
export function poolerHostProblem(host: string, port: number): string | undefined {
  const h = host.toLowerCase();
  if (h.includes('-pooler.')) {
    return `${host} is a Neon pooled (PgBouncer, transaction mode) endpoint: use the host without -pooler (${h.replace('-pooler.', '.')})`;
  }
  if (port === 6543 && h.includes('supabase')) {
    return `port 6543 of ${host} is Supabase's transaction-mode pooler: use port 5432 (session mode) or the direct host db.<project>.supabase.co`;
  }
  if (h.includes('.proxy-') && h.endsWith('.rds.amazonaws.com')) {
    return `${host} is an RDS Proxy endpoint: use the instance (or cluster) endpoint`;
  }
  return undefined;
}

function message(where: string, evidence: string): string {
  return `${where} goes through a transaction-mode pooler (${evidence}); the package's session lock and session settings ` +
    `would not hold there. ${FIX[0].toUpperCase()}${FIX.slice(1)}`;
}

function endpoints(sql: Sql, target?: PoolerTarget): { host: string; port: number }[] {
  if (target?.url) {
    try {
      const u = new URL(target.url);
      // A multi-host URL (h1:5432,h2:5432) is not a WHATWG URL: fall through to postgres.js's view.
      if (u.hostname) return [{ host: decodeURIComponent(u.hostname), port: Number(u.port || 5432) }];
    } catch { /* below */ }
  }
  const o = (sql as unknown as { options?: { host?: string[]; port?: number[] } }).options;
  return (o?.host ?? []).map((host, i) => ({ host, port: Number(o?.port?.[i] ?? o?.port?.[0] ?? 5432) }));
}

async function pidOf(conn: Sql | ReservedSql): Promise<number> {
  // unsafe(): not a named prepared statement, which a pooler would lose between backends.
  const [{ pid }] = await conn.unsafe('select pg_backend_pid() as pid /* emailai pooler probe */');
  return Number(pid);
}

/** (b): the pid of another connection while `conn` is reserved and idle. */
async function otherConnectionPid(sql: Sql, target?: PoolerTarget): Promise<number | undefined> {
  const max = (sql as unknown as { options?: { max?: number } }).options?.max ?? 1;
  if (max >= 2) {
    const other = await sql.reserve();
    try { return await pidOf(other); } finally { other.release(); }
  }
  if (!target) return undefined;
  const extra = connect(target, { max: 1, applicationName: 'emailai-org-migration pooler probe' });
  try { return await pidOf(extra); } finally { await extra.end({ timeout: 1 }); }
}

async function probe(sql: Sql, conn: ReservedSql, target?: PoolerTarget): Promise<string | undefined> {
  const key = randomInt(1, 2 ** 31 - 1);
  const [first] = await conn.unsafe(
    'select pg_backend_pid() as pid, pg_try_advisory_lock($1, $2) as locked /* emailai pooler probe */', [PROBE_LOCK_CLASS, key]);
  const [second] = await conn.unsafe(`
    select pg_backend_pid() as pid,
           exists (select 1 from pg_catalog.pg_locks
                   where locktype = 'advisory' and granted and pid = pg_backend_pid()
                     and classid = $1 and objid = $2 and objsubid = 2) as held /* emailai pooler probe */`, [PROBE_LOCK_CLASS, key]);
  await conn.unsafe('select pg_advisory_unlock($1, $2) /* emailai pooler probe */', [PROBE_LOCK_CLASS, key]).catch(() => {});
  if (Number(first.pid) !== Number(second.pid)) {
    return `two transactions on one connection ran on backends ${first.pid} and ${second.pid}`;
  }
  if (first.locked && !second.held) {
    return `a session advisory lock taken on backend ${first.pid} was gone in the next transaction`;
  }
  const other = await otherConnectionPid(sql, target);
  if (other === Number(first.pid)) {
    return `a second connection, opened while the first was idle, got the same backend ${other}`;
  }
  return undefined;
}

/**
 * undefined on a direct connection, else why it is a pooler and the fix (for a
 * preflight item). `reserved`: probe that connection (the one that will hold the
 * package lock) instead of reserving one.
 */
export async function directConnectionProblem(sql: Sql, target?: PoolerTarget, reserved?: ReservedSql): Promise<string | undefined> {
  // (d) first: it needs no connection.
  for (const { host, port } of endpoints(sql, target)) {
    const hint = poolerHostProblem(host, port);
    if (hint) return message(target?.display ?? `${host}:${port}`, hint);
  }
  const conn = reserved ?? await sql.reserve();
  try {
    const evidence = await probe(sql, conn, target);
    return evidence ? message(target?.display ?? 'the connection', evidence) : undefined;
  } catch (err) {
    if ((err as { code?: string }).code === '26000') {
      return message(target?.display ?? 'the connection', `a prepared statement vanished between transactions: ${(err as Error).message}`);
    }
    throw err;
  } finally {
    if (!reserved) conn.release();
  }
}

/** Throws a refusal (exit 3, nothing changed) when the connection is not direct. */
export async function assertDirectConnection(sql: Sql, target?: PoolerTarget, reserved?: ReservedSql): Promise<void> {
  const problem = await directConnectionProblem(sql, target, reserved);
  if (problem) throw new PoolerRefusedError(problem);
}

export const POOLER_FIX = FIX;
