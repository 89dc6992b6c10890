// `runner.ts preflight`: phase 0, read-only. Each item ✓ (holds), ✗ (refuses the
// migration) or · (informative), with the reason. Exit 3 when an item fails, 0
// otherwise. `up` calls assertPreflight() first and refuses the same way.
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { appRoles, type Context, type Flags, int, LOCK_FLAGS, type Options, TEXT } from '../context.ts';
import { EXIT, RefusedError } from '../errors.ts';
import { missingEmailAiTables, PRISMA_MIGRATIONS } from '../emailai.ts';
import { lockHolder } from '../package-lock.ts';
import { QUERIES_DIR } from '../paths.ts';
import type { LockSettings } from '../lock-settings.ts';
import { proveWindowTriggers } from '../window-triggers.ts';
import type { Target } from '../connection.ts';
import { directConnectionProblem } from '../pooler.ts';
import * as log from '../log.ts';

/** Connections the runner opens at most at once (control + batch + verify), plus headroom. */
export const CONNECTIONS_NEEDED = 5;
/** Replay lag (seconds) above which the backfill's WAL would pile up on a replica. */
export const MAX_REPLAY_LAG_SECONDS = 60;
export const DEFAULT_MAX_TRANSACTION_AGE_SECONDS = 300;

export interface PreflightItem {
  item: string;
  status: 'ok' | 'fail' | 'warn' | 'info';
  detail: string;
}

export async function preflightItems(sql: Sql, maxTransactionAge: number, settings: LockSettings, appRoles: string[], target?: Target): Promise<PreflightItem[]> {
  const items: PreflightItem[] = [];
  const add = (item: string, status: PreflightItem['status'], detail: string) => items.push({ item, status, detail });
  // First: through a transaction-mode pooler every later answer could come from another backend.
  const pooled = await directConnectionProblem(sql, target);
  add('direct connection', pooled ? 'fail' : 'ok', pooled ?? 'one session, one backend (no transaction-mode pooler)');
  const [s] = await sql.file(join(QUERIES_DIR, 'preflight_server.sql'), [maxTransactionAge]);

  add('server version', s.server_version_num >= 130000 ? 'ok' : 'fail',
    `PostgreSQL ${s.server_version}${s.server_version_num >= 130000 ? '' : ' (13 or later is needed)'}`);

  const readOnly = [s.default_read_only && 'default_transaction_read_only is on',
    s.transaction_read_only && 'transaction_read_only is on', s.in_recovery && 'the server is a standby (in recovery)'].filter(Boolean);
  add('writable server', readOnly.length ? 'fail' : 'ok',
    readOnly.length ? `${readOnly.join('; ')}: connect to the primary, or turn it off` : 'read-write primary');

  await sql.begin('read only', async tx => {
    const missing = await missingEmailAiTables(tx as unknown as Sql);
    const [{ tables }] = await tx`select count(*)::int as tables from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                  where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`;
    add('EmailAI tables', missing.length ? 'fail' : 'ok',
      !missing.length ? 'all present'
        : tables === 0 ? `the database is empty (no tables): is this the right database (${s.database_name})?`
        : `not an EmailAI database: ${missing.map(t => `"${t}"`).join(', ')} missing`);

    const privileges = await privilegeProblems(tx as unknown as Sql, s as unknown as { create_on_public: boolean; create_on_database: boolean; database_name: string });
    add('privileges', privileges.length ? 'fail' : 'ok',
      privileges.length ? `role ${s.role_name} lacks ${privileges.join('; ')}` : `role ${s.role_name}${s.is_superuser ? ' (superuser)' : ''} may run every phase`);

    if (!missing.includes('_prisma_migrations')) {
      const recordedByUs = (await tx`select to_regclass('emailai_migration.recorded_prisma_migration') is not null as t`)[0].t
        ? (await tx`select migration_name from emailai_migration.recorded_prisma_migration`).map(r => r.migration_name as string) : [];
      const applied = (await tx`select migration_name from "_prisma_migrations"
                                where migration_name in ${tx(PRISMA_MIGRATIONS)} and finished_at is not null and rolled_back_at is null`)
        .map(r => r.migration_name as string);
      add('app Prisma migrations', 'info', PRISMA_MIGRATIONS.map(name =>
        `${name}: ${recordedByUs.includes(name) ? 'recorded by this package' : applied.includes(name) ? 'applied by the app' : 'absent'}`).join('; '));
    }

    const holder = await lockHolder(tx as unknown as Sql);
    add('package lock', holder ? 'fail' : 'ok', holder ? `another runner holds it (${holder})` : 'free');

    const [st] = await tx.file(join(QUERIES_DIR, 'schema_state.sql'));
    const parts = [st.organization_table && 'Organization', st.organization_member_table && 'OrganizationMember',
      st.email_account_organization_id && 'EmailAccount.organizationId', st.rule_created_by && 'Rule.createdBy',
      st.package_schema && 'schema emailai_migration', st.window_triggers && `${st.window_triggers} window trigger(s)`].filter(Boolean);
    add('migration schema', 'info', parts.length ? `already there: ${parts.join(', ')}` : 'not there yet (the schema phase has not run)');
  });

  // The roles of the old app, and whether each can fire the window triggers.
  const proof = await proveWindowTriggers(sql, settings, appRoles);
  for (const r of proof.roles) add(`role ${r.role}`, r.status, r.detail);

  const old = s.old_transactions as { pid: number; seconds: number; application: string; state: string; query: string }[];
  const hidden = !s.sees_all_sessions && s.hidden_sessions > 0
    ? `; ${s.hidden_sessions} session(s) of other roles are not visible to ${s.role_name} (GRANT pg_read_all_stats TO ${s.role_name} to see them)` : '';
  add('long transactions', old.length ? 'fail' : hidden ? 'warn' : 'ok', old.length
    ? `${old.length} transaction(s) older than ${maxTransactionAge} s would block DDL: ` +
      old.slice(0, 5).map(t => `pid ${t.pid} (${t.application || 'no application_name'}, ${t.state}, ${t.seconds} s)`).join(', ') +
      ' — end them or wait (pg_terminate_backend(pid) ends one)' + hidden
    : hidden ? `unknown${hidden}` : `none older than ${maxTransactionAge} s`);

  const vacuums = s.vacuums as { pid: number; table: string; wraparound: boolean | null; autovacuum: boolean | null; seconds: number | null; phase: string }[];
  add('vacuum on app tables', vacuums.length ? 'warn' : 'ok', vacuums.length
    ? vacuums.map(v => `pid ${v.pid} ${v.autovacuum === false ? 'VACUUM' : 'autovacuum'} on ${v.table} (${v.phase}` +
        `${v.seconds === null ? '' : `, ${v.seconds} s`}${v.wraparound ? ', to prevent wraparound: it will not give way to the schema phase\'s locks' : v.wraparound === null ? ', anti-wraparound or not: unknown' : ''})`).join('; ') +
      ' — the schema phase waits for it within its lock retries (--lock-retries), or gives up naming it'
    : 'none running on the tables the schema phase locks');

  const free = s.max_connections - s.reserved_connections - s.connections_in_use;
  add('free connections', free >= CONNECTIONS_NEEDED ? 'ok' : 'fail',
    `${free} free of max_connections ${s.max_connections} (${s.connections_in_use} in use, ${s.reserved_connections} reserved); ${CONNECTIONS_NEEDED} needed`);

  if (!s.sees_all_sessions) {
    add('replication lag', 'warn', `unknown: ${s.role_name} cannot read replication statistics (${s.replicas} replica connection(s) seen); GRANT pg_read_all_stats TO ${s.role_name}, or check the replicas' lag in the provider's console`);
  } else if (!s.replicas) add('replication lag', 'info', 'no replicas attached');
  else {
    const lag = s.replay_lag_seconds as number | null;
    add('replication lag', lag !== null && lag > MAX_REPLAY_LAG_SECONDS ? 'fail' : 'ok',
      `${s.replicas} replica(s), replay lag ${lag === null ? 'none reported' : `${lag.toFixed(1)} s`} (limit ${MAX_REPLAY_LAG_SECONDS} s)`);
  }

  add('free disk', ...freeDisk(s.data_directory, Number(s.database_bytes)));
  return items;
}

/** What the connected role lacks to run every phase (CREATE, ownership, TRIGGER, …), empty when nothing. */
export async function privilegeProblems(sql: Sql, server?: { create_on_public: boolean; create_on_database: boolean; database_name: string }): Promise<string[]> {
  const s = server ?? (await sql`
    select has_schema_privilege('public', 'CREATE') as create_on_public,
           has_database_privilege(current_database(), 'CREATE') as create_on_database,
           current_database() as database_name`)[0] as { create_on_public: boolean; create_on_database: boolean; database_name: string };
  const privileges: string[] = [];
  if (!s.create_on_public) privileges.push('CREATE on schema public');
  if (!s.create_on_database) privileges.push(`CREATE on database ${s.database_name} (for schema emailai_migration)`);
  for (const t of await sql.file(join(QUERIES_DIR, 'preflight_tables.sql'))) {
    if (!t.present) continue; // reported as a missing EmailAI table
    const lacking = [!t.owner && 'ownership (ALTER TABLE)', !t.trigger && 'TRIGGER', !t.references && 'REFERENCES',
      !t.select && 'SELECT', !t.update && 'UPDATE'].filter(Boolean);
    if (lacking.length) privileges.push(`"${t.table_name}": ${lacking.join(', ')}`);
  }
  return privileges;
}

/** Free space of the data directory, when the server runs on this machine and we may see it. */
function freeDisk(dataDirectory: string | null, databaseBytes: number): [PreflightItem['status'], string] {
  const size = `database ${(databaseBytes / 2 ** 20).toFixed(1)} MiB`;
  if (!dataDirectory) return ['info', `unknown (the data directory is not visible to this role); ${size}`];
  try {
    const st = statfsSync(dataDirectory);
    const freeBytes = st.bavail * st.bsize;
    const enough = freeBytes >= 2 * databaseBytes; // the runbook: at least 2x the database size
    return [enough ? 'ok' : 'fail', `${(freeBytes / 2 ** 30).toFixed(1)} GiB free at ${dataDirectory}; ${size}; 2x the database is needed`];
  } catch {
    return ['info', `unknown (the server's data directory is not on this machine); ${size}`];
  }
}

export function failedItems(items: PreflightItem[]): PreflightItem[] {
  return items.filter(i => i.status === 'fail');
}

export const summary = 'read-only checks that the database and the role are ready; exit 3 if not';
export const flags = { ...LOCK_FLAGS, 'max-transaction-age': TEXT, 'app-role': { type: 'string', multiple: true } } as const satisfies Flags;
export interface PreflightOptions { maxTransactionAgeSeconds: number; appRoles: string[] }
export const options = (o: Options): PreflightOptions =>
  ({ maxTransactionAgeSeconds: int(o, 'max-transaction-age', DEFAULT_MAX_TRANSACTION_AGE_SECONDS), appRoles: appRoles(o) });

/** Throws RefusedError listing the failed items; `up` runs it before anything else. */
export async function assertPreflight(ctx: Context, o: PreflightOptions): Promise<PreflightItem[]> {
  const items = await preflightItems(ctx.open(1), o.maxTransactionAgeSeconds, ctx.settings, o.appRoles, ctx.target);
  const failed = failedItems(items);
  if (failed.length) {
    printItems(items);
    throw new RefusedError(`preflight: ${failed.length} item(s) failed: ${failed.map(i => `${i.item} (${i.detail})`).join('; ')}; nothing was changed`);
  }
  return items;
}

function printItems(items: PreflightItem[]): void {
  for (const i of items) log.info(`  ${{ ok: '✓', fail: '✗', warn: '⚠', info: '·' }[i.status]} ${i.item.padEnd(22)} ${i.detail}`);
}

export async function run(ctx: Context): Promise<number> {
  const o = options(ctx.options);
  log.info(`preflight: ${ctx.target.display}`);
  const items = await preflightItems(ctx.open(1), o.maxTransactionAgeSeconds, ctx.settings, o.appRoles, ctx.target);
  const failed = failedItems(items);
  printItems(items);
  log.info(failed.length ? `preflight: ${failed.length} item(s) failed; nothing was changed` : 'preflight: ready');
  if (ctx.json) log.json({ command: 'preflight', passed: failed.length === 0, items });
  return failed.length ? EXIT.refused : EXIT.ok;
}
