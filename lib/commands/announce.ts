// `runner.ts announce <week-before|day-before|done|paused>`: the runbook's four user
// messages ("1 Week Before", "Day Before", "Post-Migration Announcement", "Incident
// Communication"), filled from settings (flag, else environment variable) and from the
// database (queries/announce_numbers.sql; "done" also re-runs the checks). Plain text
// on stdout. A missing setting exits 2 naming it; no "[...]" placeholder is ever printed.
import { join } from 'node:path';
import { type Context, type Flags, type Options, str, TEXT } from '../context.ts';
import { runChecks } from '../checks.ts';
import { RefusedError, UsageError } from '../errors.ts';
import { QUERIES_DIR } from '../paths.ts';
import * as log from '../log.ts';

/** Each setting: its flag and its environment variable. */
export const SETTINGS = {
  date: { flag: 'date', env: 'EMAILAI_MIGRATION_DATE' },
  time: { flag: 'time', env: 'EMAILAI_MIGRATION_TIME' },
  endTime: { flag: 'end-time', env: 'EMAILAI_MIGRATION_END_TIME' },
  verifiedTime: { flag: 'verified-time', env: 'EMAILAI_VERIFICATION_TIME' },
  contactEmail: { flag: 'contact-email', env: 'EMAILAI_CONTACT_EMAIL' },
  statusUrl: { flag: 'status-url', env: 'EMAILAI_STATUS_URL' },
  organizationUrl: { flag: 'organization-url', env: 'EMAILAI_ORGANIZATION_URL' },
  inviteUrl: { flag: 'invite-url', env: 'EMAILAI_INVITE_URL' },
  docsUrl: { flag: 'docs-url', env: 'EMAILAI_DOCS_URL' },
  supportUrl: { flag: 'support-url', env: 'EMAILAI_SUPPORT_URL' },
} as const;
type Setting = keyof typeof SETTINGS;

const NEEDS = {
  'week-before': ['date', 'time', 'endTime', 'verifiedTime', 'contactEmail'],
  'day-before': ['time', 'contactEmail', 'statusUrl'],
  done: ['organizationUrl', 'inviteUrl', 'docsUrl', 'supportUrl'],
  paused: ['statusUrl'],
} as const satisfies Record<string, readonly Setting[]>;
type Kind = keyof typeof NEEDS;

interface Numbers { users: number; organizations: number; inboxes: number; inboxes_in_an_organization: number;
  organizations_created: number; inboxes_linked: number; premiums_linked: number }

const n = (x: number) => x.toLocaleString('en-US');

function message(kind: string, s: Record<Setting, string>, db: Numbers, checks: { passed: number; total: number }): string {
  switch (kind) {
    case 'week-before': return `Subject: EmailAI Multi-Tenant Migration - ${s.date}

We will be migrating EmailAI to a new multi-tenant organization model on ${s.date} at ${s.time}.

What to expect:
- No service interruption expected
- New organization features available after migration
- All existing data will be preserved (${n(db.users)} accounts, ${n(db.inboxes)} connected email accounts)
- Minimal performance impact during migration

Timeline:
- ${s.time}: Migration begins
- ${s.endTime}: Migration complete (estimated)
- ${s.verifiedTime}: Verification complete

Please contact ${s.contactEmail} with any concerns.`;
    case 'day-before': return `Subject: Reminder: EmailAI Migration Tomorrow

Migration begins tomorrow at ${s.time}.

What you need to do:
- Nothing! The migration is automatic.
- Avoid making billing changes during migration window.
- Report any issues to ${s.contactEmail}.

Status updates: ${s.statusUrl}`;
    case 'done': return `Subject: EmailAI Migration Complete - Organizations Now Available!

We've successfully migrated EmailAI to support organizations! 🎉

What's new:
✓ Collaborate with your team on shared email accounts
✓ Manage team members and permissions
✓ Seat-based billing for teams

What happened to your data:
✓ All your email accounts and rules are preserved (${n(db.inboxes_linked)} email accounts linked to their organization)
✓ You now have a personal organization (${n(db.organizations_created)} organizations created)
✓ Your subscription (if any) is linked to your organization (${n(db.premiums_linked)} subscriptions linked)
✓ ${checks.passed} of ${checks.total} integrity checks passed

Getting started with organizations:
- View your organization: ${s.organizationUrl}
- Invite team members: ${s.inviteUrl}
- Learn more: ${s.docsUrl}

Questions? Reply to this email or visit ${s.supportUrl}

Thank you for your patience during the migration!`;
    case 'paused': return `Subject: EmailAI Migration Paused - Service Restored

We encountered an issue during our organization migration and have rolled back to ensure service stability.

Current status:
✓ All services operational
✓ No data loss
✓ Previous functionality restored

Next steps:
- We're investigating the issue
- Migration will be rescheduled after resolution
- We'll notify you of new date

Status updates: ${s.statusUrl}

We apologize for any inconvenience.`;
    default: throw new UsageError(`announce <week-before|day-before|done|paused>, got "${kind}"`);
  }
}

export const summary = 'announce <week-before|day-before|done|paused>: the runbook messages, filled in';
export const flags: Flags = Object.fromEntries(Object.values(SETTINGS).map(s => [s.flag, TEXT]));

export interface AnnounceOptions {
  kind: Kind;
  /** The settings the message of `kind` needs, each from its flag, else its environment variable. */
  values: Record<Setting, string>;
}

/** The message (the first positional) and its settings: a missing one is a usage error naming its flag and variable. */
export function options(o: Options, positionals: string[], env: NodeJS.ProcessEnv = process.env): AnnounceOptions {
  const kind = positionals[0];
  if (!kind || !(kind in NEEDS)) throw new UsageError(`announce <${Object.keys(NEEDS).join('|')}>${kind ? `, got "${kind}"` : ''}`);
  const values = {} as Record<Setting, string>;
  const missing: string[] = [];
  for (const key of NEEDS[kind as Kind]) {
    const { flag, env: name } = SETTINGS[key];
    const v = (str(o, flag) ?? env[name] ?? '').trim();
    if (v) values[key] = v; else missing.push(`--${flag} (or ${name})`);
  }
  if (missing.length) throw new UsageError(`announce ${kind}: missing setting(s): ${missing.join(', ')}`);
  return { kind: kind as Kind, values };
}

export async function run(ctx: Context): Promise<number> {
  const { kind, values } = options(ctx.options, ctx.positionals);

  const sql = ctx.open(1);
  const [registry] = await sql`select to_regnamespace('emailai_migration') is not null as present`;
  if (!registry.present) throw new RefusedError('schema emailai_migration is gone (cleanup ran): the numbers of the migration are no longer in the database; announce before cleanup');
  const [numbers] = await sql.file(join(QUERIES_DIR, 'announce_numbers.sql')) as unknown as Numbers[];
  const checks = { passed: 0, total: 0, failed: [] as string[] };
  if (kind === 'done') {
    // The error-level checks: the invariants users depend on (warnings are for billing).
    for (const r of await runChecks(sql, { severity: 'error', sample: 1 })) {
      checks.total++;
      if (r.passed) checks.passed++; else checks.failed.push(r.name);
    }
    if (checks.failed.length) throw new RefusedError(`not announcing "done": error-level check(s) fail: ${checks.failed.join(', ')} (runner.ts verify)`);
  }
  const text = message(kind, values, numbers, checks);
  if (/\[[^\]\n]*\]/.test(text)) throw new Error('a placeholder was left in the message (a bug of announce.ts)');
  if (ctx.json) log.json({ command: 'announce', kind, numbers, checks: { passed: checks.passed, total: checks.total }, text });
  else log.out(text);
  return 0;
}
