// `runner.ts repair`: the runbook's troubleshooting recipes, as commands.
//   repair --user <id|email>  rules 1-3 for one user (emailai_migration.repair_user,
//                             sql/330): a personal organization if they own none
//                             (never OWNER of one somebody else owns or the new app
//                             changed), their inboxes home, their premium linked,
//                             seats. The user is an exact id or an exact email;
//                             ambiguous input is refused naming the candidates
//                             (--match id|email settles an id that is also an email).
//   repair --seats            rule 3's seats for every premium linked to an
//                             organization (recompute_seats), keyset batches.
// Both idempotent. --dry-run runs the same work in a transaction that is rolled
// back, so the counts printed are exactly what a real run would change.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { QUERIES_DIR } from '../paths.ts';
import { BATCH_FLAGS, batchSize, type Context, type Flags, LOCK_FLAGS, type Options, str, TEXT, YES } from '../context.ts';
import { InterruptedError, RefusedError, UsageError } from '../errors.ts';
import { logged, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { inShortTransaction } from '../short-transaction.ts';
import { type BatchResult, keysetLoop } from '../batch-loop.ts';
import * as log from '../log.ts';

/** Runs fn in one short transaction; with dryRun, rolls it back and returns its result. */
const apply = <T>(sql: Sql, ctx: Context, dryRun: boolean, fn: (tx: Sql) => Promise<T>): Promise<T> =>
  inShortTransaction(sql, ctx.settings, fn, { rollBack: dryRun });

/**
 * The one user `who` names: an exact id or an exact email ("User"."email" is unique
 * case-sensitively, so JOHN1@c.com and john1@c.com are two users). Refused (exit 3,
 * naming the candidates) when it is ambiguous: an id that is also another user's
 * email, or an email that matches only case-insensitively.
 */
async function resolveUser(sql: Sql, who: string, match: 'id' | 'email' | undefined): Promise<{ id: string; email: string }> {
  const rows = (await sql`
    select id, email, id = ${who} as by_id, email = ${who} as by_email
    from "User" where id = ${who} or email = ${who} or lower(email) = lower(${who})
    order by id limit 11`) as unknown as { id: string; email: string; by_id: boolean; by_email: boolean }[];
  const name = (r: { id: string; email: string }) => `${r.id} <${r.email}>`;
  const exact = rows.filter(r => (match !== 'email' && r.by_id) || (match !== 'id' && r.by_email));
  if (exact.length > 1) {
    throw new RefusedError(`"${who}" is ambiguous: it is the id of ${name(exact.find(r => r.by_id)!)} and the email of ` +
      `${name(exact.find(r => r.by_email)!)}; say which with --match id or --match email; nothing was changed`);
  }
  if (exact.length === 1) return { id: exact[0].id, email: exact[0].email };
  if (rows.length) {
    throw new RefusedError(`no user has the id or exactly the email "${who}" (emails are unique case-sensitively); ` +
      `these differ only in case: ${rows.slice(0, 10).map(name).join(', ')}${rows.length > 10 ? ', …' : ''}. ` +
      `Run repair --user with the exact email or the id; nothing was changed`);
  }
  throw new RefusedError(`no user with id or email "${who}"; nothing was changed`);
}

async function repairUser(ctx: Context, sql: Sql, who: string, match: 'id' | 'email' | undefined, dryRun: boolean) {
  const { id, email } = await resolveUser(sql, who, match);
  const [r] = await apply(sql, ctx, dryRun, tx => tx`
    select ownership_restored, organizations_created, inboxes_relinked, premiums_linked, seats_recomputed
    from emailai_migration.repair_user(${id})`);
  const result = { userId: id as string, email: email as string, ownershipRestored: r.ownership_restored as number, organizationsCreated: r.organizations_created as number,
    inboxesRelinked: r.inboxes_relinked as number, premiumsLinked: r.premiums_linked as number, seatsRecomputed: r.seats_recomputed as number };
  log.info(`repair --user ${id} <${email}>${dryRun ? ' (dry run, nothing changed)' : ''}: ` +
    `${result.ownershipRestored} OWNER membership(s) restored, ${result.organizationsCreated} organization(s) created, ${result.inboxesRelinked} inbox(es) relinked, ` +
    `${result.premiumsLinked} premium(s) linked, ${result.seatsRecomputed} premium seat count(s) recomputed`);
  return result;
}

async function repairSeats(ctx: Context, sql: Sql, size: number, dryRun: boolean) {
  const { rowsSeen: premiums, rowsChanged: changed, batches } = await keysetLoop({
    sql: () => sql, settings: ctx.settings, size, rollBack: dryRun, interrupted: () => ctx.interrupted(),
    onInterrupt: () => new InterruptedError('interrupted; every finished batch is committed: run repair --seats again'),
    batch: async (tx, after, size) => {
      const [row] = await tx.file(join(QUERIES_DIR, 'repair_seats_batch.sql'), [after, size]);
      return row as BatchResult;
    },
  });
  log.info(`repair --seats${dryRun ? ' (dry run, nothing changed)' : ''}: ${changed} premium(s) of ${premiums} ` +
    `${dryRun ? 'would get' : 'got'} new usedSeats/maxSeats (${batches} batch(es))`);
  return { premiums, changed, batches };
}

export const summary = 'repair --user <id|email> | repair --seats';
export const flags = { ...LOCK_FLAGS, ...BATCH_FLAGS, user: TEXT, match: TEXT, seats: YES, 'dry-run': YES } as const satisfies Flags;

export interface RepairOptions {
  /** --user: the id or email; undefined with --seats. */
  who: string | undefined;
  /** --match, with --user only. */
  match: 'id' | 'email' | undefined;
  dryRun: boolean;
  /** --batch-size, with --seats only. */
  batchSize: number;
}

export function options(o: Options): RepairOptions {
  const who = str(o, 'user');
  if (Boolean(who) === Boolean(o.seats)) throw new UsageError('repair: give exactly one of --user <id|email>, --seats');
  const match = who ? str(o, 'match') : undefined;
  if (match !== undefined && match !== 'id' && match !== 'email') throw new UsageError('--match takes id or email');
  return { who, match, dryRun: Boolean(o['dry-run']), batchSize: who ? 0 : batchSize(o) };
}

export async function run(ctx: Context): Promise<number> {
  const { who, match, dryRun, batchSize: size } = options(ctx.options);
  const control = ctx.open(2);
  const [{ ok }] = await control`select to_regproc('emailai_migration.repair_user') is not null as ok`;
  if (!ok) throw new RefusedError('the schema phase has not run (emailai_migration.repair_user is missing); nothing was changed');
  const sql = ctx.open(1);
  const work = async () => who ? { user: await repairUser(ctx, sql, who, match, dryRun) } : { seats: await repairSeats(ctx, sql, size, dryRun) };
  let result;
  if (dryRun) {
    result = await work();
  } else {
    const lock = await acquirePackageLock(control);
    try {
      result = await logged(control, who ? PHASES.repairUser : PHASES.repairSeats, work);
    } finally {
      await lock.release();
    }
  }
  if (ctx.json) log.json({ command: 'repair', dryRun, ...result });
  return 0;
}
