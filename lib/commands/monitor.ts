// `runner.ts monitor`: the database side of the runbook's Phase 5, one read-only pass.
// Slow statements on the new tables (pg_stat_statements, when readable), sequential
// scans where an index should serve, missing expected indexes, connections, lock
// waits, and the error-level checks re-run (invariants that drift after the deploy).
// Every finding says what to do next. Exit 1 when any threshold is crossed.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { type Context, type Flags, int, type Options, TEXT } from '../context.ts';
import { remedy, runChecks } from '../checks.ts';
import { QUERIES_DIR } from '../paths.ts';
import { assertEmailAi } from '../emailai.ts';
import { expectedIndexes } from '../schema-objects.ts';
import * as log from '../log.ts';

const SQL = (name: string) => join(QUERIES_DIR, name);

export interface Finding {
  /** error: a threshold is crossed (exit 1) · note: something monitor could not see. */
  severity: 'error' | 'note';
  area: 'slow_queries' | 'seq_scans' | 'missing_index' | 'connections' | 'lock_waits' | 'drift' | 'app_behaviour';
  what: string;
  next: string;
  rows?: Record<string, unknown>[];
}

export interface MonitorThresholds {
  slowMs: number;
  minRows: number;
  seqScanPct: number;
  connectionsPct: number;
  lockWaitMs: number;
}

export const summary = 'post-deploy health: slow queries, seq scans, locks, drifted invariants';
export const flags = { 'slow-ms': TEXT, 'min-rows': TEXT, 'seq-scan-pct': TEXT, 'connections-pct': TEXT, 'lock-wait-ms': TEXT } as const satisfies Flags;

/** The thresholds, each a whole number (else a usage error), with its default. */
export function options(o: Options): MonitorThresholds {
  return {
    slowMs: int(o, 'slow-ms', 100),
    minRows: int(o, 'min-rows', 1000),
    seqScanPct: int(o, 'seq-scan-pct', 1),
    connectionsPct: int(o, 'connections-pct', 80),
    lockWaitMs: int(o, 'lock-wait-ms', 1000),
  };
}

export async function monitor(sql: Sql, t: MonitorThresholds): Promise<{ findings: Finding[]; seen: Record<string, unknown> }> {
  const findings: Finding[] = [];
  const seen: Record<string, unknown> = {};

  // Statistics first: the checks below scan the tables and would count themselves.
  const seqScans = await sql.file(SQL('monitor_seq_scans.sql'), [t.minRows]);
  seen.seq_scans = seqScans;
  for (const s of seqScans) {
    if (s.large_enough && Number(s.seq_scan_pct) > t.seqScanPct) {
      findings.push({
        severity: 'error', area: 'seq_scans',
        what: `"${s.table_name}": ${s.seq_scan_pct} % of scans are sequential (${s.seq_scans} sequential, ${s.index_scans} index, ${s.live_rows} rows; threshold ${t.seqScanPct} %)`,
        next: 'a query reads it without an index: see the missing_index findings, else find the statement in pg_stat_statements and EXPLAIN it; ' +
          `after a fix, reset the counters: SELECT pg_stat_reset_single_table_counters('public."${s.table_name}"'::regclass)`,
        rows: [s],
      });
    }
  }

  const [server] = await sql.file(SQL('monitor_server.sql'));
  seen.server = server;
  // statements_loaded is NULL where this role may not read shared_preload_libraries:
  // then reading the view tells (it fails with 55000 when the library is not loaded).
  const slow = server.statements_installed && server.statements_loaded !== false
    ? await sql.file(SQL('monitor_slow_queries.sql'), [t.slowMs, 10]).catch(err => {
        if ((err as { code?: string }).code === '55000') return undefined;
        throw err;
      })
    : undefined;
  if (slow) {
    seen.slow_queries = slow.length;
    if (slow.length) {
      findings.push({
        severity: 'error', area: 'slow_queries',
        what: `${slow.length} statement(s) on the new tables or columns take more than ${t.slowMs} ms (mean or max)`,
        next: 'EXPLAIN (ANALYZE, BUFFERS) each; a sequential scan on "Organization"/"OrganizationMember"/"EmailAccount" means a missing index ' +
          '(see missing_index); then ANALYZE "Organization"; ANALYZE "OrganizationMember"; ANALYZE "EmailAccount";',
        rows: [...slow],
      });
    }
  } else {
    seen.slow_queries = null;
    const missing = [
      server.statements_loaded === false && "shared_preload_libraries does not include 'pg_stat_statements' (restart needed)",
      server.statements_loaded === null && server.statements_installed && 'the view says the library is not loaded (shared_preload_libraries is not readable by this role)',
      !server.statements_installed && 'the extension is not created in this database (CREATE EXTENSION pg_stat_statements;)',
    ].filter(Boolean).join('; ');
    findings.push({
      severity: 'note', area: 'slow_queries',
      what: `slow queries NOT checked: pg_stat_statements is not readable here: ${missing}`,
      next: server.statements_available
        ? "to enable: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; restart the server; CREATE EXTENSION pg_stat_statements; (managed services: the parameter group)"
        : 'the server has no pg_stat_statements (package postgresql-contrib): install it, or watch query times in the app\'s APM',
    });
  }

  const expected = await expectedIndexes();
  const missingIndexes = await sql.file(SQL('monitor_missing_indexes.sql'),
    [expected.map(e => e.table), expected.map(e => e.index), expected.map(e => e.create)]);
  seen.missing_indexes = missingIndexes.length;
  for (const m of missingIndexes) {
    findings.push({
      severity: 'error', area: 'missing_index',
      what: `index "${m.index_name}" on "${m.table_name}" is ${m.problem}`,
      next: String(m.fix),
    });
  }

  const used = Number(server.connections_used), max = Number(server.max_connections);
  const usable = max - Number(server.reserved_connections);
  if (used * 100 > usable * t.connectionsPct) {
    findings.push({
      severity: 'error', area: 'connections',
      what: `${used} of ${usable} usable connections in use (max_connections ${max}; threshold ${t.connectionsPct} %)`,
      next: 'look for idle sessions and app pools that grew with the new deploy: SELECT application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2 ORDER BY 3 DESC; put a pooler (PgBouncer) in front or lower the pools',
    });
  }

  const waits = await sql.file(SQL('monitor_lock_waits.sql'), [t.lockWaitMs]);
  seen.lock_waits = waits.length;
  if (waits.length) {
    findings.push({
      severity: 'error', area: 'lock_waits',
      what: `${waits.length} session(s) waiting on a lock for more than ${t.lockWaitMs} ms`,
      next: 'see blockers: end a stuck blocker with SELECT pg_cancel_backend(<pid>) (then pg_terminate_backend); a DDL statement in the queue blocks every reader behind it',
      rows: [...waits],
    });
  }

  const checks = await runChecks(sql, { severity: 'error' });
  const drifted: string[] = [];
  for (const r of checks) {
    if (r.passed) continue;
    drifted.push(r.name);
    findings.push({
      severity: 'error', area: 'drift',
      what: `check ${r.name} fails: ${r.count} row(s): ${r.what}`,
      next: remedy(r),
      rows: r.rows,
    });
  }
  // What is merely new: the warning-level checks that list the new app's normal life
  // (their header names the behaviour). A note, never a page.
  const appLife = (await runChecks(sql, { severity: 'warn' })).filter(r => r.appBehaviour);
  const noticed: string[] = [];
  for (const r of appLife) {
    if (r.passed) continue;
    noticed.push(r.name);
    findings.push({
      severity: 'note', area: 'app_behaviour',
      what: `${r.count} row(s) of ${r.name}: ${r.appBehaviour}: the new app's normal behaviour, not a fault`,
      next: r.error ? `the check could not run: ${r.error}` : `nothing to do; psql -X -f checks/${r.name}.sql lists them`,
      rows: r.rows,
    });
  }
  seen.checks = { run: checks.length, failed: drifted, appBehaviour: noticed };
  return { findings, seen };
}

export async function run(ctx: Context): Promise<number> {
  const t = options(ctx.options);
  log.info(`monitor: ${ctx.target.display}`);
  await assertEmailAi(ctx.open(1));
  // Read-only by construction: one READ ONLY transaction.
  const { findings, seen } = await ctx.open(1).begin('read only', tx => monitor(tx as unknown as Sql, t));
  const failed = findings.some(f => f.severity === 'error');
  if (ctx.json) {
    log.json({ command: 'monitor', passed: !failed, thresholds: t, findings, seen });
  } else {
    for (const f of findings) {
      log.out(`${f.severity === 'error' ? '✗' : 'ℹ'} [${f.area}] ${f.what}`);
      for (const line of f.next.split('\n')) log.out(`    next: ${line}`);
      for (const row of (f.rows ?? []).slice(0, 10)) log.out(`      ${JSON.stringify(row)}`);
    }
    log.out(failed ? `monitor: ${findings.filter(f => f.severity === 'error').length} finding(s) need action`
                   : 'monitor: no threshold crossed');
  }
  return failed ? 1 : 0;
}
