// `runner.ts report`: the Markdown record of the migration for the retrospective and
// the status page: each phase's start, end and duration (migration_log), the counts,
// every check's result, and the warnings a person must act on. Written to --output
// (default emailai-migration-report-<timestamp>.md); `up` writes it at its end.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Sql } from 'postgres';
import { type Context, type Flags, type Options, str, TEXT } from '../context.ts';
import { QUERIES_DIR } from '../paths.ts';
import { remedy, type CheckResult } from '../checks.ts';
import { collectStatus, type Status } from './status.ts';
import { runVerify } from './verify.ts';
import * as log from '../log.ts';

const stamp = (d: Date | null | undefined) => d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '—';
const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export type TeamRow = { premium_id: string; organization_id: string; organization_name: string; owner_emails: string | null; members: number; used_seats: number | null; max_seats: number | null };

export function reportMarkdown(display: string, s: Status, checks: CheckResult[] | undefined, teams: TeamRow[] = []): string {
  const md: string[] = [`# EmailAI organization migration report`, '',
    `Database: \`${display}\` · written ${stamp(new Date())} UTC`, '', '## Phases (migration_log)', ''];
  if (!s.migrationLog.length) md.push('No migration_log rows: no phase has run.');
  else {
    md.push('| # | phase | status | start | end | duration | message |', '|---|---|---|---|---|---|---|');
    for (const r of s.migrationLog) {
      const ms = r.completedAt && r.startedAt ? new Date(r.completedAt).getTime() - new Date(r.startedAt).getTime() : undefined;
      md.push(`| ${r.id} | ${cell(r.migrationName)} | ${cell(r.status)} | ${stamp(r.startedAt)} | ${stamp(r.completedAt)} | ${ms === undefined ? '—' : log.duration(ms)} | ${cell(r.errorMessage)} |`);
    }
  }
  md.push('', '## Counts', '');
  if (!s.counts) md.push('The schema phase has not run: no organizations yet.');
  else {
    const c = s.counts;
    md.push('| what | count | of | % |', '|---|---:|---:|---:|',
      `| organizations | ${c.organizations} | | |`, `| members | ${c.members} | | |`,
      `| users with an organization | ${c.usersWithOrganization.count} | ${c.usersWithOrganization.of} | ${c.usersWithOrganization.percent} |`,
      `| linked inboxes | ${c.linkedInboxes.count} | ${c.linkedInboxes.of} | ${c.linkedInboxes.percent} |`,
      `| linked premiums (of premiums with users) | ${c.linkedPremiums.count} | ${c.linkedPremiums.of} | ${c.linkedPremiums.percent} |`);
  }
  if (s.counts) {
    md.push('', `## Team organizations (rule 3: one organization per premium several users hold)`, '',
      `${s.counts.teamOrganizations} team organization(s).${teams.length < s.counts.teamOrganizations ? ` The ${teams.length} largest:` : ''}`);
    if (teams.length) {
      md.push('', '| premium | organization | OWNER | members | usedSeats | maxSeats |', '|---|---|---|---:|---:|---:|');
      for (const t of teams) md.push(`| ${cell(t.premium_id)} | ${cell(t.organization_name)} (\`${cell(t.organization_id)}\`) | ${cell(t.owner_emails ?? 'none')} | ${t.members} | ${t.used_seats ?? ''} | ${t.max_seats ?? 'unlimited'} |`);
    }
  }
  const installed = s.windowTriggers.filter(t => t.state === 'enabled').length;
  md.push('', `Window triggers installed and enabled: ${installed} of ${s.windowTriggers.length}.`, '',
    s.handover.handedOverAt
      ? `Handover: done ${stamp(s.handover.handedOverAt)} UTC; the sign-up keeper is ${s.handover.signupKeeper}.`
      : 'Handover: not yet (run `runner.ts handover` once the new app serves all traffic).',
    '', '## Checks', '');
  if (!checks) md.push('Not run: the schema phase has not run.');
  else {
    md.push('| check | severity | result | offending rows |', '|---|---|---|---:|');
    for (const r of checks) {
      const result = r.passed ? '✓ holds' : r.error ? `✗ could not run: ${r.error}` : r.severity === 'error' ? '✗ FAILED' : '⚠ warning';
      md.push(`| ${r.name} | ${r.severity} | ${result} | ${r.error ? '' : r.count} |`);
    }
  }
  md.push('', '## To act on', '');
  const todo = (checks ?? []).filter(r => !r.passed);
  if (!todo.length) md.push(checks ? 'Nothing: every check holds.' : 'Run the migration first.');
  for (const r of todo) {
    md.push(`- **${r.name}** (${r.count}): ${r.what}`);
    for (const row of r.rows) md.push(`  - \`${JSON.stringify(row)}\``);
    if (r.count > r.rows.length) md.push(`  - … and ${r.count - r.rows.length} more: \`psql -X -f checks/${r.name}.sql\``);
    if (r.next && !r.error) for (const line of remedy(r).split('\n')) md.push(`  - next: ${line}`);
  }
  return log.scrub(md.join('\n') + '\n');
}

export function defaultReportName(now = new Date()): string {
  return `emailai-migration-report-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}.md`;
}

export const summary = 'the Markdown report of the migration (--output FILE)';
export const flags = { output: TEXT } as const satisfies Flags;

/** Writes the report to `output` (--output) or the default name; returns its absolute path. */
export async function writeReport(ctx: Context, sql: Sql, output: string | undefined, checksRun?: CheckResult[]): Promise<string> {
  const status = await collectStatus(sql);
  const checks = checksRun ?? (status.schemaPhaseDone ? await runVerify(sql) : undefined);
  // EMAILAI_REPORT_DIR: where the default-named report goes (the tests point it at a temp dir).
  const path = resolve(output ?? join(process.env.EMAILAI_REPORT_DIR || '.', defaultReportName()));
  const teams = status.counts ? (await sql.file(join(QUERIES_DIR, 'report_teams.sql'), [20])) as unknown as TeamRow[] : [];
  writeFileSync(path, reportMarkdown(ctx.target.display, status, checks, teams));
  return path;
}

export interface ReportOptions {
  /** --output; else the default name in EMAILAI_REPORT_DIR (writeReport). */
  output: string | undefined;
}

export function options(o: Options): ReportOptions {
  return { output: str(o, 'output') };
}

export async function run(ctx: Context): Promise<number> {
  const { output } = options(ctx.options);
  const path = await writeReport(ctx, ctx.open(2), output);
  log.info(`report: written to ${path}`);
  if (ctx.json) log.json({ command: 'report', path });
  else log.out(path);
  return 0;
}
