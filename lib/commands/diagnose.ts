// `runner.ts diagnose --user <id|email>`: the runbook's "Users can't access email
// accounts" diagnosis for one user (queries/diagnose_user.sql), read-only, with the
// repair command to run when something is wrong. Exit 0 healthy, 1 a problem found,
// 3 no such user.
import { join } from 'node:path';
import { type Context, type Flags, type Options, str, TEXT } from '../context.ts';
import { RefusedError, UsageError } from '../errors.ts';
import { QUERIES_DIR } from '../paths.ts';
import { assertEmailAi } from '../emailai.ts';
import * as log from '../log.ts';

const PROBLEM_TEXT: Record<string, string> = {
  no_organization: 'the user is a member of no organization: the new app has no default organization to open',
  unlinked_inbox: 'an inbox is linked to no organization: the new app does not show it',
  inbox_in_organization_not_owned: 'an inbox sits in an organization the user does not OWN: its other members can open it',
};

interface Membership { organization_id: string; organization_name: string; role: string; is_default: boolean;
  premium_id: string | null; premium_tier: string | null; used_seats: number | null; max_seats: number | null; member_count: number }
interface Inbox { email_account_id: string; email_account_email: string; organization_id: string | null;
  organization_name: string | null; user_role: string | null; problem: string | null }

export const summary = 'diagnose --user <id|email>: memberships, inboxes, links, seats';
export const flags = { user: TEXT } as const satisfies Flags;

export interface DiagnoseOptions {
  /** --user: the user's id or e-mail (required). */
  who: string;
}

export function options(o: Options): DiagnoseOptions {
  const who = str(o, 'user');
  if (!who) throw new UsageError('diagnose needs --user <id|email>');
  return { who };
}

export async function run(ctx: Context): Promise<number> {
  const { who } = options(ctx.options);
  const sql = ctx.open(1);
  await assertEmailAi(sql);
  const rows = await sql.begin('read only', tx => tx.file(join(QUERIES_DIR, 'diagnose_user.sql'), [who]));
  if (!rows.length) throw new RefusedError(`no user with id or e-mail "${who}" in "User"`);
  const u = rows[0];
  const memberships = u.memberships as Membership[];
  const inboxes = u.inboxes as Inbox[];
  const problems = u.problems as string[];
  const fix = problems.length ? `runner.ts repair --user ${u.user_id}` : null;

  if (ctx.json) {
    log.json({ command: 'diagnose', user: { id: u.user_id, email: u.user_email, name: u.user_name, premiumId: u.user_premium_id },
      healthy: !problems.length, problems, fix, memberships, inboxes });
  } else {
    log.out(`user ${u.user_id} <${u.user_email}>${u.user_premium_id ? `, holds premium ${u.user_premium_id}` : ''}`);
    log.out(`memberships (${memberships.length}):`);
    for (const m of memberships) {
      const seats = m.premium_id
        ? `premium ${m.premium_id} (${m.premium_tier ?? 'no tier'}), seats ${m.used_seats} used of ${m.max_seats ?? 'unlimited'}`
        : 'no premium';
      log.out(`  ${m.role.padEnd(6)} ${m.organization_name} (${m.organization_id})${m.is_default ? ' [default]' : ''}: ${m.member_count} member(s), ${seats}`);
    }
    log.out(`inboxes (${inboxes.length}):`);
    for (const i of inboxes) {
      const where = i.organization_id ? `${i.organization_name} (${i.organization_id}), user's role: ${i.user_role ?? 'not a member'}` : 'no organization';
      log.out(`  ${i.problem ? '✗' : '✓'} ${i.email_account_email} (${i.email_account_id}) → ${where}${i.problem ? `  [${i.problem}]` : ''}`);
    }
    if (problems.length) {
      for (const p of problems) log.out(`✗ ${p}: ${PROBLEM_TEXT[p] ?? p}`);
      log.out(`fix: ${fix}`);
    } else {
      log.out('✓ healthy: member of an organization, every inbox linked to an organization the user owns');
    }
  }
  return problems.length ? 1 : 0;
}
