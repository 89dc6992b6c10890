// `runner.ts plan`: the runbook's dry run. One READ ONLY transaction computes what
// `backfill` will do with the rules of sql/300 (queries/plan_*.sql), before or after
// the schema phase, and an ETA from a documented, conservative rate.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { BATCH_FLAGS, batchSize, type Context, type Flags, int, type Options, TEXT } from '../context.ts';
import { QUERIES_DIR } from '../paths.ts';
import { assertEmailAi } from '../emailai.ts';
import * as log from '../log.ts';

/**
 * Driving-table rows per second of the backfill, all passes together, for the ETA.
 * Conservative: the field notes measured 8–9k users/s for organizations + members +
 * inbox links on 2 cores; the "Rule" creator UPDATE is slower (index upkeep).
 */
export const BACKFILL_ROWS_PER_SECOND = 5000;
/** The passes of sql/310 backfill_passes() and the table each walks. */
const PASS_TABLES: [string, string][] = [
  ['personal_organizations', 'User'], ['email_account_links', 'EmailAccount'], ['premium_links', 'Premium'],
  ['premium_seats', 'Premium'], ['rule_creators', 'Rule'], ['group_creators', 'Group'],
  ['knowledge_creators', 'Knowledge'], ['category_creators', 'Category'],
];

export interface Plan {
  schemaPhaseDone: boolean;
  users: number;
  organizationsToCreate: number;
  usersOwningOrganizations: number;
  emailAccounts: number;
  emailAccountsToLink: number;
  premiums: number;
  premiumLinksToCreate: number;
  premiumsToLink: number;
  premiumSeatsToUpdate: number;
  seatsPerPremium: { premiumId: string; usedSeats: number; maxSeats: number | null; emailAccountsAccess: number | null }[];
  customersOverSeats: { premiumId: string; users: number; emailAccountsAccess: number }[];
  premiumsWithoutUsers: number;
  teamOrganizationsToCreate: number;
  teamPremiums: number;
  teams: { premiumId: string; ownerUserId: string; ownerIsAdmin: boolean; members: number; maxSeats: number | null }[];
  adminsNotHolding: { userId: string; premiumId: string }[];
  resourcesWithoutCreator: Record<string, number>;
  batchSize: number;
  batches: { pass: string; table: string; rows: number; batches: number }[];
  etaSeconds: number;
}

export async function computePlan(sql: Sql, opts: PlanOptions): Promise<Plan> {
  return sql.begin('read only', async tx => {
    await assertEmailAi(tx as unknown as Sql);
    const [{ done }] = await tx`select to_regclass('public."Organization"') is not null
      and exists (select 1 from pg_attribute where attrelid = to_regclass('public."Rule"') and attname = 'createdBy') as done`;
    const file = join(QUERIES_DIR, done ? 'plan_after_schema.sql' : 'plan_before_schema.sql');
    const [r] = await tx.file(file, [opts.top, opts.batchSize]);
    const driving = r.driving_rows as Record<string, number>;
    // backfill stops a pass after the first batch shorter than the batch size.
    const batches = PASS_TABLES.map(([pass, table]) => {
      const rows = Number(driving[table]);
      return { pass, table, rows, batches: Math.floor(rows / opts.batchSize) + 1 };
    });
    const rows = batches.reduce((s, b) => s + b.rows, 0);
    const batchCount = batches.reduce((s, b) => s + b.batches, 0);
    return {
      schemaPhaseDone: Boolean(done),
      users: r.users,
      organizationsToCreate: r.organizations_to_create,
      usersOwningOrganizations: r.users_owning_organizations,
      emailAccounts: r.email_accounts,
      emailAccountsToLink: r.email_accounts_to_link,
      premiums: r.premiums,
      premiumLinksToCreate: r.premium_links_to_create,
      premiumsToLink: r.premiums_to_link,
      premiumSeatsToUpdate: r.premium_seats_to_update,
      seatsPerPremium: r.seats_per_premium,
      customersOverSeats: r.customers_over_seats,
      premiumsWithoutUsers: r.premiums_without_users,
      teamOrganizationsToCreate: r.team_organizations_to_create,
      teamPremiums: r.team_premiums,
      teams: r.teams,
      adminsNotHolding: r.admins_not_holding,
      resourcesWithoutCreator: Object.fromEntries(Object.entries(r.resources_without_creator as Record<string, unknown>).map(([k, v]) => [k, Number(v)])),
      batchSize: opts.batchSize,
      batches,
      etaSeconds: Math.ceil(rows / BACKFILL_ROWS_PER_SECOND + batchCount * opts.sleepMs / 1000),
    };
  });
}

const n = (x: number) => x.toLocaleString('en-US');

export function printPlan(p: Plan): void {
  log.out([
    `plan (dry run, READ ONLY transaction; ${p.schemaPhaseDone ? 'after' : 'before'} the schema phase)`,
    '',
    `  users found                         ${n(p.users)}`,
    `  organizations to create             ${n(p.organizationsToCreate)}`,
    `  users who already own organizations ${n(p.usersOwningOrganizations)}`,
    `  inboxes to link                     ${n(p.emailAccountsToLink)} of ${n(p.emailAccounts)}`,
    `  premiums to link                    ${n(p.premiumsToLink)} of ${n(p.premiums)} (${n(p.premiumLinksToCreate)} organization link(s))`,
    `  premiums whose seats change         ${n(p.premiumSeatsToUpdate)}`,
    `  team organizations to create        ${n(p.teamOrganizationsToCreate)} (of ${n(p.teamPremiums)} premiums held by several users; rule 3)`,
    ...p.teams.map(t => `    ${t.premiumId.padEnd(30)} owner ${t.ownerUserId}${t.ownerIsAdmin ? ' (its admin)' : ' (earliest holder; no admin holds it)'}  ${t.members} members  maxSeats ${t.maxSeats ?? 'unlimited'}`),
    `  admins who do not hold their premium (billing review, no membership): ${p.adminsNotHolding.length}`,
    ...p.adminsNotHolding.slice(0, 10).map(a => `    ${a.userId.padEnd(30)} admin of ${a.premiumId}`),
    `  premiums with no users              ${n(p.premiumsWithoutUsers)} (stay unlinked: a warning)`,
    `  resources without creator           ${Object.entries(p.resourcesWithoutCreator).map(([t, c]) => `${t} ${n(c)}`).join(', ')}`,
    '',
    `  seats per premium (top ${p.seatsPerPremium.length}):`,
    ...p.seatsPerPremium.map(s => `    ${s.premiumId.padEnd(30)} usedSeats ${String(s.usedSeats).padStart(5)}  maxSeats ${s.maxSeats ?? 'unlimited'}`),
    `  customers whose users outnumber emailAccountsAccess (billing review): ${p.customersOverSeats.length}`,
    ...p.customersOverSeats.slice(0, 20).map(c => `    ${c.premiumId.padEnd(30)} ${c.users} users, ${c.emailAccountsAccess} bought`),
    ...(p.customersOverSeats.length > 20 ? [`    … and ${p.customersOverSeats.length - 20} more (--json lists them all)`] : []),
    '',
    `  batches at --batch-size ${n(p.batchSize)}:`,
    ...p.batches.map(b => `    ${b.pass.padEnd(24)} ${b.table.padEnd(13)} ${n(b.rows).padStart(10)} rows  ${n(b.batches).padStart(6)} batch(es)`),
    `  estimated backfill time             ${log.duration(p.etaSeconds * 1000)} (at ${n(BACKFILL_ROWS_PER_SECOND)} rows/s, plus --sleep-ms)`,
    '',
    'DRY RUN — nothing was changed',
  ].join('\n'));
}

export interface PlanOptions {
  /** --batch-size, as backfill reads it: the batches counted, and the ETA. */
  batchSize: number;
  /** How many of the largest customers are listed (not a flag). */
  top: number;
  /** --sleep-ms between batches, as backfill reads it: added to the ETA. */
  sleepMs: number;
}

export function options(o: Options): PlanOptions {
  return { batchSize: batchSize(o), top: 10, sleepMs: int(o, 'sleep-ms', 0) };
}

export const summary = 'dry run in a READ ONLY transaction: what each phase will do, and an ETA';
export const flags = { ...BATCH_FLAGS, 'sleep-ms': TEXT } as const satisfies Flags;

export async function run(ctx: Context): Promise<number> {
  const o = options(ctx.options);
  log.info(`plan: ${ctx.target.display}`);
  const plan = await computePlan(ctx.open(1), o);
  if (ctx.json) log.json({ command: 'plan', ...plan });
  else printPlan(plan);
  return 0;
}
