// The window triggers as the old app's roles meet them. The app writes "User",
// "EmailAccount", … as a role of its own; if that role cannot fire a trigger, every
// sign-up fails from the moment the trigger is installed. So before the schema phase
// installs them (the gate of migrations/0004) and whenever preflight runs after it,
// each role that may write those tables is proved able to fire each trigger:
//   - where the migrator may SET ROLE to it: by doing the old app's writes as that
//     role (emailai_migration.window_trigger_probe, sql/319) in a transaction that
//     also installs the triggers not yet there and is then rolled back;
//   - where it may not: from the catalog: a trigger whose function is not SECURITY
//     DEFINER with a pinned search_path runs with the writer's rights, which reach
//     nothing of the package.
//
// The window triggers, in one place: the file that installs each (sql/), the file that
// drops it (rollback/), and the sign-up keeper of `handover --keep-signup-organizations`.
// migrations/0004 installs and undoes them from this list, `status` and the report show
// it, `handover` drops them, and the proof below installs them in its rolled-back transaction.
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { RefusedError } from './errors.ts';
import type { MigrationContext } from './migration.ts';
import { QUERIES_DIR, SQL_DIR } from './paths.ts';
import { inShortTransaction } from './short-transaction.ts';
import type { LockSettings } from './lock-settings.ts';
import { readStep } from './steps.ts';

export interface WindowTrigger {
  table: string;
  trigger: string;
  install: string;
  drop: string;
}

export const WINDOW_TRIGGERS: WindowTrigger[] = [
  { table: 'User', trigger: 'emailai_migration_user_inserted', install: '321_window_trigger_user_inserted.sql', drop: '321_window_trigger_user_inserted.sql' },
  { table: 'User', trigger: 'emailai_migration_user_premium_changed', install: '322_window_trigger_user_premium_changed.sql', drop: '322_window_trigger_user_premium_changed.sql' },
  { table: 'EmailAccount', trigger: 'emailai_migration_email_account_written', install: '323_window_trigger_email_account_written.sql', drop: '323_window_trigger_email_account_written.sql' },
  { table: 'Rule', trigger: 'emailai_migration_rule_inserted', install: '324_window_trigger_rule_inserted.sql', drop: '324_window_trigger_rule_inserted.sql' },
  { table: 'Group', trigger: 'emailai_migration_group_inserted', install: '325_window_trigger_group_inserted.sql', drop: '325_window_trigger_group_inserted.sql' },
  { table: 'Knowledge', trigger: 'emailai_migration_knowledge_inserted', install: '326_window_trigger_knowledge_inserted.sql', drop: '326_window_trigger_knowledge_inserted.sql' },
  { table: 'Category', trigger: 'emailai_migration_category_inserted', install: '327_window_trigger_category_inserted.sql', drop: '327_window_trigger_category_inserted.sql' },
  { table: 'User', trigger: 'emailai_migration_user_deleted', install: '328_window_trigger_user_deleted.sql', drop: '328_window_trigger_user_deleted.sql' },
];

/**
 * The opt-in sign-up keeper of `handover --keep-signup-organizations` (handover/410):
 * not a window trigger; it stays until cleanup, which drops it with the others.
 */
export const SIGNUP_KEEPER: WindowTrigger = {
  table: 'User', trigger: 'emailai_migration_signup_keeper', install: '410_signup_keeper_trigger.sql', drop: '329_signup_keeper_trigger.sql',
};

export interface RoleProof {
  role: string;
  status: 'ok' | 'fail' | 'warn';
  detail: string;
}

interface Writer {
  role_name: string;
  can_set_role: boolean;
  reaches_package: boolean;
  new_tables_lacking: string[];
}

interface TriggerFunction {
  trigger_name: string;
  table_name: string;
  function_name: string;
  security_definer: boolean;
  search_path_pinned: boolean;
}

interface ProbeRow {
  action: string;
  error_code: string | null;
  error_message: string | null;
}

const ROLLBACK = Symbol('rollback');

/** The roles that write the app's tables (and --app-role's), with what each could not do. */
export async function proveWindowTriggers(sql: Sql, settings: LockSettings, appRoles: string[]): Promise<{ probed: boolean; roles: RoleProof[] }> {
  const writers = (await sql.file(join(QUERIES_DIR, 'window_trigger_writers.sql'), [appRoles])) as unknown as Writer[];
  const roles: RoleProof[] = appRoles.filter(r => !writers.some(w => w.role_name === r))
    .map(r => ({ role: r, status: 'fail', detail: `--app-role ${r}: no such role` }));
  const [{ present, handedOver }] = await sql`
    select to_regprocedure('emailai_migration.window_trigger_probe(text)') is not null as present,
           to_regclass('emailai_migration.handover') is not null as "handedOver"`;
  if (handedOver && (await sql`select 1 from emailai_migration.handover`).length) {
    for (const w of writers) roles.push({ role: w.role_name, status: 'ok', detail: 'writes the app\'s tables; the handover removed the window triggers, so there is nothing of the package for it to fire' });
    return { probed: false, roles };
  }
  if (!present) {
    for (const w of writers) roles.push({ role: w.role_name, status: 'ok', detail: 'writes the app\'s tables; the schema phase proves it can fire the window triggers before it installs them' });
    return { probed: false, roles };
  }
  const { me, results } = await withTriggersInstalled<{ me: string; results: RoleProof[] }>(sql, settings, async tx => {
    const [{ me }] = await tx`select current_user as me`;
    const functions = (await tx.file(join(QUERIES_DIR, 'window_trigger_functions.sql'))) as unknown as TriggerFunction[];
    const results: RoleProof[] = [];
    // The owner first: proves the triggers do their work at all.
    results.push(verdict(`${me} (this role)`, await probe(tx, me), [], functions));
    for (const w of writers) {
      if (w.role_name === me) continue;
      const problems: string[] = [];
      if (w.reaches_package) problems.push(`it may use schema emailai_migration, which the app must not: REVOKE ALL ON SCHEMA emailai_migration FROM ${w.role_name};`);
      const proof: ProbeRow[] | undefined = w.can_set_role ? await probe(tx, w.role_name) : undefined;
      const proved = proof && !proof.every((r: ProbeRow) => r.error_code === '42501' && /set role|permission denied to set/i.test(r.error_message ?? ''));
      const result = proved ? verdict(w.role_name, proof!, problems, functions) : staticVerdict(w, functions, problems, me);
      if (result.status !== 'fail' && w.new_tables_lacking.length) {
        result.status = 'warn';
        result.detail += `; the new app, connecting as ${w.role_name}, will need SELECT, INSERT, UPDATE, DELETE on ${w.new_tables_lacking.join(', ')} ` +
          `(GRANT SELECT, INSERT, UPDATE, DELETE ON ${w.new_tables_lacking.map(t => `public.${t}`).join(', ')} TO ${w.role_name};)`;
      }
      results.push(result);
    }
    return { me, results };
  });
  if (!writers.some(w => w.role_name !== me)) {
    results.push({ role: '(none found)', status: 'ok', detail: `no role but ${me} may write the app's tables; name the app's role with --app-role if it gets its rights another way` });
  }
  return { probed: true, roles: [...roles, ...results] };
}

/** Runs fn in a transaction where every window trigger is installed, then rolls it back. */
async function withTriggersInstalled<T>(sql: Sql, settings: LockSettings, fn: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await inShortTransaction(sql, settings, async tx => {
      for (const t of WINDOW_TRIGGERS) await tx.unsafe(readStep(join(SQL_DIR, t.install)).text);
      result = await fn(tx);
      throw ROLLBACK;
    });
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
  return result as T;
}

async function probe(tx: Sql, role: string): Promise<ProbeRow[]> {
  return (await tx`select * from emailai_migration.window_trigger_probe(${role})`) as unknown as ProbeRow[];
}

function verdict(role: string, rows: ProbeRow[], problems: string[], functions: TriggerFunction[]): RoleProof {
  const failed = rows.filter(r => r.error_code);
  if (failed.length) {
    const fixes = alterStatements(functions);
    return { role, status: 'fail', detail: `the old app's writes as ${role} would fail once the triggers are installed: ` +
      failed.map(r => `${r.action}: ${r.error_message} (${r.error_code})`).join('; ') + '. ' +
      (fixes ? `Fix: ${fixes}` : 'Grant the role what the error names') + problems.map(p => ' ' + p).join('') };
  }
  if (problems.length) return { role, status: 'fail', detail: problems.join(' ') };
  return { role, status: 'ok', detail: `fires every window trigger (${rows.length - 1} writes done as ${role.replace(/ .*/, '')}, rolled back)` };
}

/** The statements that make every trigger function run as its owner again (sql/320's attributes). */
function alterStatements(functions: TriggerFunction[]): string {
  return [...new Set(functions.filter(f => !f.security_definer || !f.search_path_pinned)
    .map(f => `ALTER FUNCTION ${f.function_name} SECURITY DEFINER SET search_path = pg_catalog, pg_temp;`))].join(' ');
}

function staticVerdict(w: Writer, functions: TriggerFunction[], problems: string[], me: string): RoleProof {
  const unsafe = functions.filter(f => !f.security_definer || !f.search_path_pinned);
  const how = w.role_name === 'PUBLIC' ? 'PUBLIC (every role) may write the app\'s tables'
    : `${me} may not SET ROLE ${w.role_name}, so this is read from the catalog`;
  if (unsafe.length && !w.reaches_package) {
    return { role: w.role_name, status: 'fail', detail: `${how}: ${unsafe.map(f => `trigger ${f.trigger_name} on "${f.table_name}" runs ${f.function_name} with the writer's rights`).join('; ')}, ` +
      `and ${w.role_name} has none on schema emailai_migration: its writes would fail. Fix: ${alterStatements(functions)}` };
  }
  if (problems.length) return { role: w.role_name, status: 'fail', detail: problems.join(' ') };
  return { role: w.role_name, status: 'ok', detail: `${how}: every window trigger runs as its owner (SECURITY DEFINER, pinned search_path)` };
}

/** The schema phase's gate before it installs the triggers: a role that could not fire them is a refusal. */
export async function assertWindowTriggersFire(ctx: MigrationContext): Promise<void> {
  const { roles } = await proveWindowTriggers(ctx.sql, ctx.settings, ctx.appRoles);
  const failed = roles.filter(r => r.status === 'fail');
  if (failed.length) {
    throw new RefusedError(`the window triggers were not installed: ${failed.map(r => `role ${r.role}: ${r.detail}`).join(' | ')}. ` +
      'Nothing of this step was changed; fix it, then run the same command again (finished steps are skipped)');
  }
}
