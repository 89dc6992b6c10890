// `runner.ts status`: the runbook's monitoring numbers in one read-only look:
// organizations, members, linked inboxes and premiums against their totals, the
// backfill checkpoints, the window triggers, the package lock holder, migration_log.
// --watch SECONDS repeats it (in place on a terminal) until Ctrl-C.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { type Context, type Flags, int, type Options, TEXT } from '../context.ts';
import { PHASES } from '../migration-log.ts';
import { lockHolder } from '../package-lock.ts';
import { QUERIES_DIR } from '../paths.ts';
import { assertEmailAi } from '../emailai.ts';
import * as log from '../log.ts';
import { SIGNUP_KEEPER, WINDOW_TRIGGERS } from '../window-triggers.ts';

const pct = (part: number, whole: number) => whole ? Math.round((1000 * part) / whole) / 10 : 100;

export async function collectStatus(sql: Sql) {
  return sql.begin('read only', async tx => {
    await assertEmailAi(tx as unknown as Sql);
    const [st] = await tx.file(join(QUERIES_DIR, 'schema_state.sql'));
    const schemaPhaseDone = Boolean(st.organization_table && st.organization_member_table && st.email_account_organization_id);
    let counts = null;
    if (schemaPhaseDone) {
      const [c] = await tx.file(join(QUERIES_DIR, 'status_counts.sql'));
      counts = {
        organizations: c.organizations,
        members: c.members,
        usersWithOrganization: { count: c.users_with_organization, of: c.users, percent: pct(c.users_with_organization, c.users) },
        linkedInboxes: { count: c.linked_email_accounts, of: c.email_accounts, percent: pct(c.linked_email_accounts, c.email_accounts) },
        linkedPremiums: { count: c.linked_premiums, of: c.premiums_with_users, percent: pct(c.linked_premiums, c.premiums_with_users) },
        teamOrganizations: c.team_organizations as number,
      };
    }
    const checkpoints = (await tx`select to_regclass('emailai_migration.backfill_checkpoint') is not null as t`)[0].t
      ? (await tx`select pass, last_key as "lastKey", rows_done::int as "rowsDone", finished, updated_at as "updatedAt"
                  from emailai_migration.backfill_checkpoint order by updated_at`).map(r => ({ ...r }))
      : [];
    const installed = await tx.file(join(QUERIES_DIR, 'window_triggers.sql'));
    const stateOf = (name: string) => {
      const t = installed.find(r => r.trigger_name === name);
      return t ? t.state as string : 'not installed';
    };
    const triggers = WINDOW_TRIGGERS.map(({ table, trigger: name }) => ({ table, trigger: name, state: stateOf(name) }));
    // A whole-database rollback pauses them (rollback/340) until the next backfill resumes them (sql/315).
    const pausedRows = (await tx`select to_regclass('emailai_migration.window_pause') is not null as t`)[0].t
      ? await tx`select paused_at, paused_by from emailai_migration.window_pause`
      : [];
    const windowPause = pausedRows[0] ? { pausedAt: pausedRows[0].paused_at as Date, pausedBy: pausedRows[0].paused_by as string } : null;
    // Phase 4: when the handover ran (migration_log), and the sign-up keeper's state.
    const handoverRows = st.migration_log
      ? await tx`select completed_at from migration_log
                 where migration_name = ${PHASES.handover} and status = 'completed' order by id desc limit 1`
      : [];
    const handover = {
      handedOverAt: (handoverRows[0]?.completed_at as Date | undefined) ?? null,
      signupKeeper: stateOf(SIGNUP_KEEPER.trigger),
    };
    const migrationLog = st.migration_log
      ? (await tx`select id, migration_name as "migrationName", status, started_at as "startedAt",
                         completed_at as "completedAt", error_message as "errorMessage"
                  from migration_log order by id`).map(r => ({ ...r }))
      : [];
    return {
      schemaPhaseDone,
      counts,
      checkpoints,
      windowTriggers: triggers,
      windowPause,
      handover,
      lockHolder: (await lockHolder(tx as unknown as Sql)) ?? null,
      migrationLog,
    };
  });
}

export type Status = Awaited<ReturnType<typeof collectStatus>>;

const stamp = (d: Date | null) => d ? d.toISOString().replace('T', ' ').slice(0, 19) : '—';

export function formatStatus(s: Status, display: string): string {
  const lines = [`status of ${display} at ${stamp(new Date())}`];
  if (!s.counts) lines.push('  the schema phase has not run (no "Organization" table yet): run `runner.ts up` or `runner.ts schema`');
  else {
    const c = s.counts;
    const frac = (x: { count: number; of: number; percent: number }) => `${x.count.toLocaleString('en-US')} / ${x.of.toLocaleString('en-US')} (${x.percent}%)`;
    lines.push(
      `  organizations               ${c.organizations.toLocaleString('en-US')}`,
      `  members                     ${c.members.toLocaleString('en-US')}`,
      `  users with an organization  ${frac(c.usersWithOrganization)}`,
      `  linked inboxes              ${frac(c.linkedInboxes)}`,
      `  linked premiums             ${frac(c.linkedPremiums)} of premiums with users`,
      `  team organizations          ${c.teamOrganizations.toLocaleString('en-US')} (one per premium several users hold)`);
  }
  lines.push('  backfill checkpoints:', ...(s.checkpoints.length
    ? s.checkpoints.map(p => `    ${p.finished ? '✓' : '…'} ${String(p.pass).padEnd(24)} ${String(p.rowsDone).padStart(9)} rows  last key ${p.lastKey ?? '—'}`)
    : ['    none (the backfill has not started)']));
  const on = s.windowTriggers.filter(t => t.state === 'enabled').length;
  lines.push(`  window triggers: ${on} of ${s.windowTriggers.length} installed and enabled` + (s.windowPause
    ? `; PAUSED by ${s.windowPause.pausedBy} since ${stamp(s.windowPause.pausedAt)} (they write no organization, link or membership; the next backfill or up resumes them)`
    : ''),
    ...s.windowTriggers.map(t => `    ${t.state === 'enabled' ? '✓' : '·'} ${t.table.padEnd(13)} ${t.trigger.padEnd(42)} ${t.state}`));
  lines.push(s.handover.handedOverAt
    ? `  handover: done ${stamp(s.handover.handedOverAt)} (the new app's writes are its own); sign-up keeper ${s.handover.signupKeeper}`
    : '  handover: not yet (the window triggers act on every write; run `runner.ts handover` once the new app serves all traffic)');
  lines.push(`  package lock: ${s.lockHolder ?? 'free (no runner is working)'}`);
  lines.push('  migration_log:', ...(s.migrationLog.length
    ? s.migrationLog.map(r => `    ${String(r.id).padStart(4)} ${String(r.migrationName).padEnd(34)} ${String(r.status).padEnd(12)} ${stamp(r.startedAt)} → ${stamp(r.completedAt)}${r.errorMessage ? `  ${r.errorMessage}` : ''}`)
    : ['    no rows']));
  return lines.join('\n');
}

export const summary = 'progress numbers, window triggers, handover, migration_log';
export const flags = { watch: TEXT } as const satisfies Flags;

export interface StatusOptions {
  /** --watch N: redraw every N seconds until Ctrl-C; 0 (the default) prints once. */
  watch: number;
}

export function options(o: Options): StatusOptions {
  return { watch: int(o, 'watch', 0) };
}

export async function run(ctx: Context): Promise<number> {
  const { watch } = options(ctx.options);
  const sql = ctx.open(1);
  const tty = Boolean(process.stdout.isTTY) && !ctx.json;
  for (;;) {
    const s = await collectStatus(sql);
    if (ctx.json) log.json({ command: 'status', ...s });
    else {
      if (tty && watch) process.stdout.write('\x1b[H\x1b[2J'); // redraw in place
      log.out(formatStatus(s, ctx.target.display) + (watch && !tty ? '\n' : ''));
    }
    if (!watch) return 0;
    for (let waited = 0; waited < watch * 1000; waited += 200) {
      if (ctx.interrupted()) return 0;
      await new Promise(r => setTimeout(r, 200));
    }
    if (ctx.interrupted()) return 0;
  }
}
