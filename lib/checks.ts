// Reads checks/*.sql and runs them: each file is a header (severity: error|warn,
// and what to do when it fails: `-- Next:` lines) and one SELECT of the offending rows. The runner wraps the SELECT to get the
// count and the first rows in one round trip, without loading every row, and without
// changing the check's plan (checkQuery).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Sql } from 'postgres';
import { CHECKS_DIR } from './paths.ts';

export interface CheckFile {
  name: string;
  path: string;
  severity: 'error' | 'warn';
  what: string;
  /** `-- app-behaviour:` of the header: the new app's normal behaviour these rows come from. */
  appBehaviour?: string;
  /** `-- Next:` lines of the header: what to do when it fails (see remedy). */
  next?: string[];
  select: string;
}

export interface CheckResult {
  name: string;
  severity: 'error' | 'warn';
  what: string;
  appBehaviour?: string;
  next?: string[];
  count: number;
  rows: Record<string, unknown>[];
  ms: number;
  passed: boolean;
  /** The check could not run (e.g. a column it reads does not exist yet). */
  error?: string;
}

export function readCheck(path: string): CheckFile {
  const text = readFileSync(path, 'utf8');
  const severity = text.match(/^--\s*severity:\s*(error|warn)\s*$/mi)?.[1]?.toLowerCase();
  if (severity !== 'error' && severity !== 'warn') throw new Error(`${path}: no "-- severity: error|warn" line in its header`);
  const what = text.match(/^--\s*Check:\s*(.*)$/mi)?.[1]?.trim() ?? basename(path, '.sql');
  const appBehaviour = text.match(/^--\s*app-behaviour:\s*(.*)$/mi)?.[1]?.trim();
  const next = [...text.matchAll(/^--\s*Next:\s*(.*)$/gmi)].map(m => m[1].trim());
  const body = text.replace(/^\s*--.*$/gm, '').trim().replace(/;\s*$/, '');
  if (body.includes(';')) {
    // A semicolon inside a string literal is allowed; a second statement is not.
    const outside = body.replace(/'(?:[^']|'')*'/g, "''");
    if (outside.includes(';')) throw new Error(`${path}: a check holds exactly one SELECT`);
  }
  return { name: basename(path, '.sql'), path, severity, what, ...(appBehaviour ? { appBehaviour } : {}),
           ...(next.length ? { next } : {}), select: body };
}

/**
 * What to do about a failing check, from its `-- Next:` lines, one line each. A line
 * with `{column}` is written once per offending row shown (the same text once; a row
 * without that column's value is skipped); `{column|first}` takes the first item of a
 * ', '-separated list. A check without `-- Next:` points at its rows.
 */
export function remedy(r: Pick<CheckResult, 'name' | 'next' | 'rows'>): string {
  const lines = (r.next ?? []).flatMap(line => {
    if (!/\{[^}]+\}/.test(line)) return [line];
    const rendered = r.rows.map(row => {
      let complete = true;
      const text = line.replace(/\{(\w+)(\|first)?\}/g, (_, col: string, first?: string) => {
        const v = row[col];
        if (v === null || v === undefined || v === '') complete = false;
        return first ? String(v ?? '').split(', ')[0] : String(v);
      });
      return complete ? text : undefined;
    }).filter((t): t is string => t !== undefined);
    return [...new Set(rendered)];
  });
  return lines.length ? lines.join('\n') : `psql -X -f checks/${r.name}.sql lists the offending rows`;
}

export function listChecks(dir = CHECKS_DIR): CheckFile[] {
  return readdirSync(dir).filter(f => f.endsWith('.sql')).sort().map(f => readCheck(join(dir, f)));
}

/**
 * The statement runCheck sends: the count of the check's rows and the first `sample` of
 * them. The check is a MATERIALIZED CTE because a CTE is planned for all its rows. Under
 * a LIMIT the planner plans for the first rows, and before PostgreSQL 16 it does not cost
 * the window aggregate that must read every row first (the old `count(*) over () … limit`).
 * On 1M users that made premiums_without_users rescan a materialized aggregate of
 * "Organization" once per unheld premium: 131 s, against 1.25 s for the check alone.
 */
export function checkQuery(check: Pick<CheckFile, 'select'>, sample = 10): string {
  return `with check_rows as materialized (\n${check.select}\n)\n` +
    `select (select count(*)::int from check_rows) as total, c.* from check_rows c limit ${Math.max(1, Math.floor(sample))}`;
}

export async function runCheck(sql: Sql, check: CheckFile, sample = 10): Promise<CheckResult> {
  const started = performance.now();
  const base = { name: check.name, severity: check.severity, what: check.what,
                 ...(check.appBehaviour ? { appBehaviour: check.appBehaviour } : {}), ...(check.next ? { next: check.next } : {}) };
  let rows;
  try {
    rows = await sql.unsafe(checkQuery(check, sample));
  } catch (err) {
    // A check the server refused to run (e.g. a column it reads does not exist yet) has
    // not shown the invariant holds: it fails, with the reason. Anything else (no
    // connection, a cancelled query) is the command's failure, not the check's.
    const e = err as { name?: string; code?: string };
    if (e.name !== 'PostgresError' || !e.code || /^(08|57|53|28|3D)/.test(e.code)) throw err;
    return { ...base, count: 0, rows: [], ms: performance.now() - started, passed: false,
             error: (err as Error).message ?? String(err) };
  }
  const count = rows.length ? Number(rows[0].total) : 0;
  const sampleRows = rows.map(r => {
    const { total: _total, ...rest } = r as Record<string, unknown>;
    return rest;
  });
  return { ...base, count, rows: sampleRows, ms: performance.now() - started, passed: count === 0 };
}

/** Runs every check (or those of one severity), in file order. */
export async function runChecks(sql: Sql, opts: { severity?: 'error' | 'warn'; sample?: number } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of listChecks()) {
    if (!opts.severity || check.severity === opts.severity) results.push(await runCheck(sql, check, opts.sample));
  }
  return results;
}
