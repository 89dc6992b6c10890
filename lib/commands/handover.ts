// `runner.ts handover`: phase 4 of SPEC, once the new application serves all traffic.
//   1. a last catch-up of rules 2 and 3 over every row (the backfill's passes
//      email_account_links, premium_links and premium_seats from the start: guarded,
//      so only what the window triggers missed changes). Not rule 1 or rule 4: the
//      new app's sign-up creates no organization and it never sets "createdBy", by
//      design; the old app's rows got theirs from the triggers.
//   2. the window triggers go (lib/window-triggers.ts, dropped by their rollback/
//      files): from then on no trigger of the package changes a row the new app
//      writes. With --keep-signup-organizations the sign-up keeper
//      (handover/410) is installed instead: a user committed without any membership
//      gets a personal organization, until cleanup. Without it, a keeper left by an
//      earlier handover goes too.
//   3. recorded in migration_log ('multi_tenant_handover'; the checks read its first
//      completed row's start as the moment the new app's life begins) and in
//      emailai_migration.handover.
// Idempotent: a second run catches up nothing, drops nothing, records itself.
// --dry-run prints what it would do and changes nothing.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { BATCH_FLAGS, batchSize, type Context, type Flags, LOCK_FLAGS, type Options, YES } from '../context.ts';
import { InterruptedError, RefusedError } from '../errors.ts';
import { logged, PHASES } from '../migration-log.ts';
import { acquirePackageLock } from '../package-lock.ts';
import { HANDOVER_DIR, QUERIES_DIR, ROLLBACK_DIR } from '../paths.ts';
import { runStep } from '../steps.ts';
import { SIGNUP_KEEPER, WINDOW_TRIGGERS } from '../window-triggers.ts';
import { passLoop, resumeWindowTriggers } from './backfill.ts';
import { keysetLoop } from '../batch-loop.ts';
import * as log from '../log.ts';

/** The backfill passes the catch-up runs again, in order (sql/310). */
export const CATCH_UP_PASSES = ['email_account_links', 'premium_links', 'premium_seats'];

async function installedTriggers(sql: Sql): Promise<Set<string>> {
  const rows = await sql.file(join(QUERIES_DIR, 'window_triggers.sql'));
  return new Set(rows.map(r => r.trigger_name as string));
}

export const summary = 'phase 4, once the new app serves all traffic: catch up, drop the window triggers (--keep-signup-organizations)';
export const flags = { ...LOCK_FLAGS, ...BATCH_FLAGS, 'keep-signup-organizations': YES, 'dry-run': YES } as const satisfies Flags;

export interface HandoverOptions { keepSignupOrganizations: boolean; dryRun: boolean; batchSize: number }
export const options = (o: Options): HandoverOptions =>
  ({ keepSignupOrganizations: Boolean(o['keep-signup-organizations']), dryRun: Boolean(o['dry-run']), batchSize: batchSize(o) });

export async function run(ctx: Context): Promise<number> {
  const { keepSignupOrganizations: keep, dryRun, batchSize: size } = options(ctx.options);
  const control = ctx.open(2);
  const [{ installed }] = await control`select to_regproc('emailai_migration.backfill_batch') is not null as installed`;
  if (!installed) throw new RefusedError('the package is not installed here (no emailai_migration.backfill_batch): run `runner.ts up` first, or cleanup already ran; nothing was changed');
  const [{ done }] = await control`select exists (select 1 from migration_log where migration_name = ${PHASES.data} and status = 'completed') as done`;
  if (!done) throw new RefusedError(`the data phase never completed (migration_log has no completed ${PHASES.data} row): run \`runner.ts up\` first; nothing was changed`);

  const present = await installedTriggers(control);
  const toDrop = WINDOW_TRIGGERS.filter(t => present.has(t.trigger));
  const keeperPresent = present.has(SIGNUP_KEEPER.trigger);
  const plan = {
    catchUpPasses: CATCH_UP_PASSES,
    dropTriggers: toDrop.map(t => `${t.trigger} ON "${t.table}"`),
    signupKeeper: keep ? (keeperPresent ? 'kept' : 'installed') : (keeperPresent ? 'dropped' : 'absent'),
  };
  if (dryRun) {
    if (ctx.json) log.json({ command: 'handover', dryRun: true, ...plan });
    else {
      log.out([
        'handover --dry-run: nothing was changed. It would:',
        `  catch up (rules 2 and 3, every row, guarded): ${CATCH_UP_PASSES.join(', ')}`,
        `  drop ${toDrop.length} window trigger(s)${toDrop.length ? ':' : ''}`,
        ...plan.dropTriggers.map(t => `    ${t}`),
        `  sign-up keeper (${SIGNUP_KEEPER.trigger}): ${plan.signupKeeper}`,
      ].join('\n'));
    }
    return 0;
  }

  const lock = await acquirePackageLock(control);
  const sql = ctx.open(1);
  try {
    const result = await logged(control, PHASES.handover, async () => {
      // Paused by a rollback, the sign-up keeper installed below would do nothing.
      await resumeWindowTriggers(control, sql, ctx.settings);
      const caughtUp: Record<string, number> = {};
      for (const pass of CATCH_UP_PASSES) {
        const { rowsChanged: changed } = await keysetLoop({
          ...passLoop(pass), sql: () => sql, settings: ctx.settings, size, interrupted: () => ctx.interrupted(),
          onInterrupt: () => new InterruptedError(`interrupted during the catch-up (pass ${pass}); nothing was dropped: run handover again`),
        });
        caughtUp[pass] = changed;
        log.info(`  ✓ catch-up ${pass.padEnd(22)} ${changed} row(s) changed`);
      }
      const steps = [];
      for (const t of [...toDrop].reverse()) steps.push(await runStep(sql, join(ROLLBACK_DIR, t.drop), ctx.settings));
      if (keep) steps.push(await runStep(sql, join(HANDOVER_DIR, SIGNUP_KEEPER.install), ctx.settings));
      else if (keeperPresent) steps.push(await runStep(sql, join(ROLLBACK_DIR, SIGNUP_KEEPER.drop), ctx.settings));
      await sql`insert into emailai_migration.handover (id, keep_signup_organizations) values (true, ${keep})
                on conflict (id) do update set keep_signup_organizations = excluded.keep_signup_organizations`;
      return { caughtUp, steps: steps.map(s => s.name) };
    });
    log.info(`handover: ${toDrop.length} window trigger(s) dropped; sign-up keeper ${plan.signupKeeper}; ` +
      'from now on no trigger of the package changes what the new app writes');
    if (ctx.json) log.json({ command: 'handover', dryRun: false, ...plan, ...result });
    return 0;
  } finally {
    await lock.release();
  }
}
