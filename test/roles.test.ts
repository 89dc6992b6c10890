// Runs where production runs (issue 14): on RDS, Cloud SQL, Supabase or Neon the
// migrator owns the database and the app's tables but is not a superuser, and the
// app connects as a role of its own with DML rights only. Each suite builds that on
// the test server: a `migrator` role (owner, NOSUPERUSER), an `app` role with
// SELECT, INSERT, UPDATE, DELETE on public's tables, and the default privileges a
// real install has (ALTER DEFAULT PRIVILEGES FOR ROLE migrator … TO app, for every
// schema, so the package's own tables would get them too unless it takes them back).
// Every command runs as the migrator; the old app's workload runs as the app.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import * as assert from 'uvu/assert';
import { dbSuite, runner, runTs, type TestDatabase } from './helpers.ts';
import { generateData, loadEdgeCases, loadPreMigrationSchema } from './fixtures/fixtures.ts';
import { databaseSnapshot } from './snapshot.ts';
import { startWorkload, type PhaseStats } from './workload.ts';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

interface Managed {
  migrator: string;
  app: string;
  migratorUrl: string;
  appUrl: string;
  /** A pool connected as the migrator. */
  asMigrator: Sql;
  /** A pool connected as the app. */
  asApp: Sql;
}

const PASSWORD = 'pw-' + Math.random().toString(36).slice(2, 12);
const setups = new Map<string, Managed>();

function urlAs(db: TestDatabase, user: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = PASSWORD;
  return u.toString();
}

/**
 * The managed-Postgres setup on db: roles named after the database (roles are
 * cluster-wide), the database owned by the migrator, the fixture loaded by the
 * migrator (so it owns the tables), the app's grants and default privileges.
 */
async function managedSetup(db: TestDatabase, opts: { users: number; migratorInApp: boolean; migratorSchema?: boolean }): Promise<Managed> {
  const migrator = `${db.name}_migrator`, app = `${db.name}_app`;
  const su = db.sql;
  await su`create role ${su(migrator)} login nosuperuser nocreaterole password ${su.unsafe(`'${PASSWORD}'`)}`;
  await su`create role ${su(app)} login nosuperuser nocreaterole password ${su.unsafe(`'${PASSWORD}'`)}`;
  await su`alter database ${su(db.name)} owner to ${su(migrator)}`;
  // PostgreSQL 13/14 give CREATE on public to PUBLIC and the schema to the bootstrap
  // superuser; 15 gives it to the database owner. Hand it over as a provider does.
  await su`alter schema public owner to ${su(migrator)}`;
  if (opts.migratorInApp) await su`grant ${su(app)} to ${su(migrator)}`;
  const migratorUrl = urlAs(db, migrator), appUrl = urlAs(db, app);
  const asMigrator = postgres(migratorUrl, { max: 4, onnotice: () => {} });
  await loadPreMigrationSchema(asMigrator);
  if (opts.users) await generateData(asMigrator, opts.users);
  await loadEdgeCases(asMigrator);
  await asMigrator`grant usage on schema public to ${asMigrator(app)}`;
  await asMigrator`grant select, insert, update, delete on all tables in schema public to ${asMigrator(app)}`;
  await asMigrator`alter default privileges for role ${asMigrator(migrator)} grant select, insert, update, delete on tables to ${asMigrator(app)}`;
  await asMigrator`alter default privileges for role ${asMigrator(migrator)} grant usage, select on sequences to ${asMigrator(app)}`;
  if (opts.migratorSchema) await asMigrator`create schema ${asMigrator(migrator)}`;
  await asMigrator`analyze`;
  const m: Managed = { migrator, app, migratorUrl, appUrl, asMigrator, asApp: postgres(appUrl, { max: 2, onnotice: () => {} }) };
  setups.set(db.name, m);
  return m;
}

/** Roles are cluster-wide: take them off the server again (the database goes after the suite). */
async function dropRoles(db: TestDatabase): Promise<void> {
  const m = setups.get(db.name);
  if (!m) return;
  await m.asApp.end({ timeout: 2 }).catch(() => {});
  await m.asMigrator.end({ timeout: 2 }).catch(() => {});
  const su = db.sql;
  await su`select pg_terminate_backend(pid) from pg_stat_activity where usename in (${m.migrator}, ${m.app}) and pid <> pg_backend_pid()`;
  await su`reassign owned by ${su(m.migrator)}, ${su(m.app)} to current_user`;
  // One role at a time: the default ACL belongs to the migrator and names the app.
  await su`drop owned by ${su(m.migrator)}`;
  await su`drop owned by ${su(m.app)}`;
  await su`drop role ${su(m.app)}`;
  await su`drop role ${su(m.migrator)}`;
}

/** Runs the suite; its last test takes its roles off the server (the database goes after it). */
function runThenDropRoles(suite: ReturnType<typeof dbSuite>): void {
  suite.test('(teardown) roles dropped', async db => {
    await dropRoles(db);
    assert.ok(true);
  });
  suite.run();
}

/** runner.ts as the migrator. */
const asMigrator = (db: TestDatabase, args: string[], env: Record<string, string | undefined> = {}) =>
  runner(db, args, { DATABASE_URL: setups.get(db.name)!.migratorUrl, ...env });

/** pg_dump refuses a newer server (backup says so, exit 3): those cases are skipped, saying why. */
async function pgDumpTooOld(db: TestDatabase): Promise<boolean> {
  const tool = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' });
  const toolMajor = Number(tool.stdout?.match(/(\d+)(?:\.\d+)?/)?.[1] ?? 0);
  const [{ major }] = await db.sql`select current_setting('server_version_num')::int / 10000 as major`;
  if (toolMajor >= major) return false;
  process.stdout.write(`  (backup cases skipped: pg_dump ${toolMajor || 'missing'} cannot dump PostgreSQL ${major}; backup refuses that itself)\n`);
  return true;
}

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

// ─── the window, as production runs it ─────────────────────────────────────────
const managed = dbSuite('roles: a non-superuser migrator, the app as its own role', async db => {
  await managedSetup(db, { users: 3000, migratorInApp: true, migratorSchema: true });
});

managed.test('the migrator is no superuser and owns the tables; the app may only read and write rows', async db => {
  const m = setups.get(db.name)!;
  const [me] = await m.asMigrator`select rolsuper, rolcreaterole from pg_roles where rolname = current_user`;
  assert.equal({ ...me }, { rolsuper: false, rolcreaterole: false });
  const [owner] = await m.asMigrator`select pg_get_userbyid(relowner) as owner from pg_class where oid = '"User"'::regclass`;
  assert.is(owner.owner, m.migrator);
  assert.is(await errorCode(m.asApp`alter table "User" add column x int`), '42501');
});

managed.test('preflight before the schema phase: ready, the app role found, invisible sessions "unknown"', async db => {
  const m = setups.get(db.name)!;
  // A session the migrator cannot see into (no pg_read_all_stats, and not a member of
  // its role: a superuser's, as a provider's own agents are).
  const idle = await db.sql.reserve();
  try {
    await idle`select 1`;
    const r = await asMigrator(db, ['preflight', '--json']);
    assert.is(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout).items as { item: string; status: string; detail: string }[];
    const item = (name: string) => items.find(i => i.item === name);
    assert.is(item(`role ${m.app}`)?.status, 'ok', JSON.stringify(items));
    assert.match(item('long transactions')!.detail, /^unknown; \d+ session\(s\) of other roles are not visible to \S+ \(GRANT pg_read_all_stats/);
    assert.is(item('long transactions')!.status, 'warn');
    assert.match(item('replication lag')!.detail, /^unknown/);
    assert.not.match(item('long transactions')!.detail, /none/);
  } finally {
    idle.release();
  }
});

let window: { stats: PhaseStats[]; codes: Record<string, number | null> } | undefined;
managed.test('the old app, as the app role, sees no error through schema, backfill and verify', async db => {
  const m = setups.get(db.name)!;
  const wl = await startWorkload(m.appUrl, { connections: 3, deadlineMs: 120_000, phase: 'before' });
  const codes: Record<string, number | null> = {};
  let stats: PhaseStats[] = [];
  try {
    await wl.busy();
    for (const phase of ['schema', 'backfill', 'verify']) {
      wl.setPhase(phase);
      const r = await asMigrator(db, [phase]);
      codes[phase] = r.code;
      if (r.code !== 0) process.stderr.write(r.stderr.slice(-2000) + '\n');
    }
    wl.setPhase('after');
    await wl.busy(20, ['signup']);
  } finally {
    stats = await wl.stop();
  }
  window = { stats, codes };
  assert.equal(codes, { schema: 0, backfill: 0, verify: 0 });
  const errors = stats.flatMap(s => Object.entries(s.errorMessages).map(([msg, n]) => `${s.phase}: ${n}× ${msg}`));
  assert.equal(errors, [], 'the app saw errors');
  for (const phase of ['schema', 'backfill', 'after']) {
    assert.ok((stats.find(s => s.phase === phase)?.byOp.signup ?? 0) > 0, `no sign-up ran during ${phase}`);
  }
});

managed.test('every sign-up and inbox the app wrote in the window is migrated; every invariant holds', async db => {
  assert.ok(window, 'the window test did not run');
  const m = setups.get(db.name)!;
  const [w] = await m.asMigrator`
    select
      (select count(*) from "User" where id like 'wl_%')::int as users,
      (select count(*) from "User" u where id like 'wl_%'
         and not exists (select 1 from "OrganizationMember" om where om."userId" = u.id and om.role = 'OWNER'))::int as users_without_org,
      (select count(*) from "EmailAccount" where id like 'wl_%')::int as inboxes,
      (select count(*) from "EmailAccount" ea where id like 'wl_%'
         and ("organizationId" is null or "organizationId" is distinct from emailai_migration.home_organization(ea."userId")))::int as inboxes_not_home,
      (select count(*) from "Rule" r where id like 'wl_%' and "createdBy" is distinct from
         (select ea."userId" from "EmailAccount" ea where ea.id = r."emailAccountId"))::int as rules_wrong_creator`;
  assert.ok(w.users > 0 && w.inboxes > 0, JSON.stringify(w));
  assert.equal({ ...w, users: 0, inboxes: 0 }, { users: 0, inboxes: 0, users_without_org: 0, inboxes_not_home: 0, rules_wrong_creator: 0 });
  const r = await asMigrator(db, ['verify', '--json']);
  assert.is(r.code, 0, r.stdout.slice(0, 3000));
});

managed.test('a schema named after the migrator captured nothing; the new tables are in public', async db => {
  const m = setups.get(db.name)!;
  const [r] = await m.asMigrator`
    select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${m.migrator})::int as captured,
           to_regclass('public."Organization"') is not null as organization,
           to_regclass('public."OrganizationMember"') is not null as member`;
  assert.equal({ ...r }, { captured: 0, organization: true, member: true });
});

managed.test('preflight after the schema phase proves the app role fires every trigger, and changes nothing', async db => {
  const m = setups.get(db.name)!;
  const before = await databaseSnapshot(m.asMigrator);
  const r = await asMigrator(db, ['preflight', '--json']);
  assert.is(r.code, 0, r.stderr);
  const items = JSON.parse(r.stdout).items as { item: string; status: string; detail: string }[];
  const app = items.find(i => i.item === `role ${m.app}`)!;
  assert.is(app.status, 'ok', app.detail);
  assert.match(app.detail, /fires every window trigger \(\d+ writes done as .*rolled back\)/);
  assert.is(await databaseSnapshot(m.asMigrator), before, 'preflight changed something');
});

managed.test('the app role can neither call the package nor read or write its bookkeeping', async db => {
  const m = setups.get(db.name)!;
  const denied = {
    callRule: await errorCode(m.asApp`select emailai_migration.home_organization('x')`),
    callProbe: await errorCode(m.asApp`select * from emailai_migration.window_trigger_probe('x')`),
    callBatch: await errorCode(m.asApp`select emailai_migration.recompute_seats(array['x'])`),
    readRegistry: await errorCode(m.asApp`select * from emailai_migration.created_organization limit 1`),
    writeCheckpoint: await errorCode(m.asApp`delete from emailai_migration.backfill_checkpoint`),
    readLog: await errorCode(m.asApp`select * from migration_log limit 1`),
    writeLog: await errorCode(m.asApp`insert into migration_log (migration_name, status) values ('x', 'completed')`),
  };
  assert.equal(denied, { callRule: '42501', callProbe: '42501', callBatch: '42501', readRegistry: '42501', writeCheckpoint: '42501', readLog: '42501', writeLog: '42501' });
  // The grants a real install's default privileges gave were taken back, not only hidden
  // behind the schema: nothing of the package lists the app role in its ACL.
  const [acl] = await m.asMigrator`
    select count(*)::int as n from (
      select relacl::text as acl from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'emailai_migration' or c.relname like 'migration_log%'
      union all select proacl::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'emailai_migration'
      union all select nspacl::text from pg_namespace where nspname = 'emailai_migration') a
    where acl like ${'%' + m.app + '=%'} or acl like '%{=%' or acl like '%,=%'`;
  assert.is(acl.n, 0, 'an object of the package is granted to the app role or to PUBLIC');
  // … while the new app's tables are the app's, through the default privileges.
  assert.is(await errorCode(m.asApp`select count(*) from "Organization"`), undefined);
});

managed.test('every other command runs as the migrator', async db => {
  const results: Record<string, number | null> = {};
  for (const args of [['plan'], ['status'], ['report', '--output', join(tmpdir(), `${db.name}-report.md`)], ['monitor'],
    ['repair', '--seats'], ['repair', '--user', 'edge_symbols'], ['diagnose', '--user', 'edge_symbols'],
    ['rollback', '--orgs', '--dry-run']]) {
    const r = await asMigrator(db, args);
    results[args.join(' ')] = r.code;
    // monitor pages (exit 1) on what it finds; it must not fail for want of a right.
    if (args[0] === 'monitor' && r.code === 1 && !/permission denied|must be superuser/.test(r.stderr)) results.monitor = 0;
    if (results[args.join(' ')] !== 0) process.stderr.write(`${args.join(' ')}:\n${r.stderr.slice(-1500)}\n`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'emailai-backup-'));
  try {
    if (await pgDumpTooOld(db)) {
      results.backup = 0;
    } else {
      const b = await asMigrator(db, ['backup', '--file', join(dir, 'b.dump')]);
      results.backup = b.code;
      if (b.code !== 0) process.stderr.write(b.stderr.slice(-1500));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(results, {
    plan: 0, status: 0, [`report --output ${join(tmpdir(), `${db.name}-report.md`)}`]: 0, monitor: 0,
    'repair --seats': 0, 'repair --user edge_symbols': 0, 'diagnose --user edge_symbols': 0, 'rollback --orgs --dry-run': 0, backup: 0,
  });
});

managed.test('preflight refuses (exit 3, nothing changed) when the app role could not fire a trigger', async db => {
  const m = setups.get(db.name)!;
  // As an install that ran the trigger function with the writer's rights would have it.
  await m.asMigrator`alter function emailai_migration.user_inserted() security invoker`;
  try {
    const before = await databaseSnapshot(m.asMigrator);
    const r = await asMigrator(db, ['preflight']);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`✗ role ${m.app}\\s+the old app's writes as ${m.app} would fail`));
    assert.match(r.stderr, /sign-up: INSERT "User" with a premium: permission denied for (schema emailai_migration|function create_personal_organizations|table window_pause) \(42501\)/, r.stderr);
    assert.match(r.stderr, /Fix: ALTER FUNCTION emailai_migration\.user_inserted\(\) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;/, r.stderr);
    assert.is(await databaseSnapshot(m.asMigrator), before, 'preflight changed something');
    // The same role, really writing, fails just so: the probe tells the truth.
    assert.is(await errorCode(m.asApp`insert into "User" (id, "updatedAt", email) values ('roles_t1', now(), 'roles_t1@x.test')`), '42501');
  } finally {
    await m.asMigrator`alter function emailai_migration.user_inserted() security definer`;
  }
  assert.is((await asMigrator(db, ['preflight'])).code, 0);
});

managed.test('the handover, as the migrator, while the old app writes as the app role', async db => {
  const m = setups.get(db.name)!;
  const wl = await startWorkload(m.appUrl, { connections: 3, deadlineMs: 60_000, phase: 'handover' });
  let stats: PhaseStats[] = [];
  let code: number | null;
  try {
    await wl.busy(20, ['signup']);
    const r = await asMigrator(db, ['handover']);
    code = r.code;
    if (r.code !== 0) process.stderr.write(r.stderr.slice(-2000) + '\n');
  } finally {
    stats = await wl.stop();
  }
  assert.is(code, 0);
  const errors = stats.flatMap(s => Object.entries(s.errorMessages).map(([msg, n]) => `${s.phase}: ${n}× ${msg}`));
  assert.equal(errors, [], 'the app saw errors');
  assert.ok((stats[0]?.byOp.signup ?? 0) > 0, 'no sign-up ran during the handover');
  // Everything the old app wrote until the handover began is migrated (after it, the
  // new app serves the writes and the package no longer acts on them).
  const [w] = await m.asMigrator`
    with since as (select min(started_at) as t from migration_log where migration_name = 'multi_tenant_handover')
    select
      (select count(*) from "User" u, since where id like 'wl_%' and u."createdAt" < since.t
         and not exists (select 1 from "OrganizationMember" om where om."userId" = u.id and om.role = 'OWNER'))::int as users_without_org,
      (select count(*) from "EmailAccount" ea, since where id like 'wl_%' and ea."createdAt" < since.t
         and ("organizationId" is null or "organizationId" is distinct from emailai_migration.home_organization(ea."userId")))::int as inboxes_not_home,
      (select count(*) from pg_trigger where tgname like 'emailai\\_migration\\_%')::int as triggers_left`;
  assert.equal({ ...w }, { users_without_org: 0, inboxes_not_home: 0, triggers_left: 0 });
  // The workload goes on writing as the old app after the triggers are gone (in
  // production the new app serves those writes and links what it sells): a premium a
  // user moved onto after the handover began is the test's, not the migration's.
  const movedAfter = new Set((await m.asMigrator`
    select distinct u."premiumId" as id from "User" u
    where u."premiumId" is not null
      and u."updatedAt" >= (select min(started_at) from migration_log where migration_name = 'multi_tenant_handover')`).map(r => r.id));
  const v = await asMigrator(db, ['verify', '--json']);
  const failing = (JSON.parse(v.stdout).checks as { name: string; severity: string; count: number; rows: { premium_id?: string }[] }[])
    .filter(c => c.severity === 'error' && c.count > 0)
    .filter(c => !(c.name === 'premiums_with_users_but_no_organization' && c.rows.length === c.count && c.rows.every(r => movedAfter.has(r.premium_id))))
    .map(c => `${c.name}: ${JSON.stringify(c.rows.slice(0, 3))}`);
  assert.equal(failing, [], 'an error-level check fails after the handover, on what the old app wrote before it');
  const p = await asMigrator(db, ['preflight', '--json']);
  const app = (JSON.parse(p.stdout).items as { item: string; detail: string }[]).find(i => i.item === `role ${m.app}`)!;
  assert.match(app.detail, /the handover removed the window triggers/);
});

managed.test('rollback --schema then cleanup of the bookkeeping run as the migrator', async db => {
  const r = await asMigrator(db, ['rollback', '--schema']);
  assert.is(r.code, 0, r.stderr.slice(-2000));
  const m = setups.get(db.name)!;
  const [{ organization }] = await m.asMigrator`select to_regclass('public."Organization"') is not null as organization`;
  assert.not.ok(organization);
  // The old app keeps writing after the way back.
  assert.is(await errorCode(m.asApp`insert into "User" (id, "updatedAt", email) values ('roles_after', now(), 'roles_after@x.test')`), undefined);
});

runThenDropRoles(managed);

// ─── a long-lived app session through the growth of the new tables ─────────────
// Issue 18: PL/pgSQL keeps a statement's generic plan for the life of the session once
// five custom plans were no cheaper. An app connection that first fired the window
// triggers right after the schema phase, when "Organization" was empty, kept their
// sequential scans while the backfill filled it: the live bench at 300,000 users saw
// sign-ups and plan changes take 120-290 ms in the first pass (auto_explain: "Seq Scan
// on Organization", 237,392 rows removed by the filter, costed for an empty table),
// until autovacuum's ANALYZE replanned them a minute later. The state here is that
// window: the tables grown by a batch of the first pass and not analyzed since
// (autovacuum off on them, so none runs mid-test). The app's session must plan its
// triggers as a session opened now does: no sequential scan a fresh one would not do.
const longLived = dbSuite('roles: an app session open since the new tables were empty', async db => {
  await managedSetup(db, { users: 3000, migratorInApp: true });
});

longLived.test('its window triggers plan for the tables as they are now, not as they were when it first fired them', async db => {
  const m = setups.get(db.name)!;
  const s = await asMigrator(db, ['schema']);
  assert.is(s.code, 0, s.stderr.slice(-2000));
  await m.asMigrator`alter table "Organization" set (autovacuum_enabled = off)`;
  await m.asMigrator`alter table "OrganizationMember" set (autovacuum_enabled = off)`;
  const [{ holder, premium, other }] = await m.asMigrator`
    select u.id as holder, u."premiumId" as premium,
           (select p.id from "Premium" p where p.id <> u."premiumId" order by p.id limit 1) as other
    from "User" u where u."premiumId" is not null order by u.id limit 1`;
  // A plan change and a sign-up onto a premium: the paths that touch "Organization" and
  // "OrganizationMember" most. Rolled back: only the session's plans outlive it.
  // The sequential scans the two writes did, per table: pg_stat_xact_user_tables
  // before and after them in their transaction (since PostgreSQL 15 it also holds
  // counts of the session's earlier transactions not yet flushed).
  let n = 0;
  const seqScans = async (tx: TransactionSql) => new Map((await tx`
    select relname, seq_scan::int from pg_stat_xact_user_tables
    where schemaname in ('public', 'emailai_migration')`).map(r => [r.relname as string, r.seq_scan as number]));
  const paths = (app: Sql) => app.begin(async tx => {
    const before = await seqScans(tx);
    await tx`update "User" set "premiumId" = ${other}, "updatedAt" = now() where id = ${holder}`;
    await tx`insert into "User" (id, "updatedAt", email, "premiumId") values (${'ll_' + n}, now(), ${'ll_' + n++ + '@x.test'}, ${premium})`;
    const scans = [...(await seqScans(tx))]
      .map(([rel, k]) => [rel, k - (before.get(rel) ?? 0)] as const).filter(([, k]) => k > 0);
    throw Object.assign(new Error('roll back'), { scans: Object.fromEntries(scans) });
  }).catch(err => { if (!err.scans) throw err; return err.scans as Record<string, number>; });

  const early = postgres(m.appUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < 8; i++) await paths(early);
    // What the first pass's batches write, committed, with no ANALYZE after it.
    const [batch] = await m.asMigrator`select rows_changed from emailai_migration.backfill_batch('personal_organizations', null, 100000)`;
    assert.ok(batch.rows_changed > 3000, `the batch made ${batch.rows_changed} organizations`);
    const fresh = postgres(m.appUrl, { max: 1, onnotice: () => {} });
    try {
      const now = await paths(fresh);
      const kept = await paths(early);
      const extra = Object.entries(kept).filter(([rel, k]) => k > (now[rel] ?? 0));
      assert.equal(extra, [], `the session open since the schema phase scans what a fresh one probes (fresh: ${JSON.stringify(now)}, open since then: ${JSON.stringify(kept)})`);
    } finally {
      await fresh.end({ timeout: 2 });
    }
  } finally {
    await early.end({ timeout: 2 });
  }
});

runThenDropRoles(longLived);

// ─── a migrator that may not SET ROLE to the app ───────────────────────────────
const apart = dbSuite('roles: a migrator that is no member of the app role', async db => {
  await managedSetup(db, { users: 200, migratorInApp: false });
});

apart.test('the schema phase and preflight prove the triggers from the catalog', async db => {
  const m = setups.get(db.name)!;
  const s = await asMigrator(db, ['schema']);
  assert.is(s.code, 0, s.stderr.slice(-2000));
  const r = await asMigrator(db, ['preflight', '--json']);
  assert.is(r.code, 0, r.stderr);
  const app = (JSON.parse(r.stdout).items as { item: string; status: string; detail: string }[]).find(i => i.item === `role ${m.app}`)!;
  assert.is(app.status, 'ok');
  assert.match(app.detail, /may not SET ROLE .*: every window trigger runs as its owner/);
  assert.is(await errorCode(m.asApp`insert into "User" (id, "updatedAt", email) values ('apart_1', now(), 'apart_1@x.test')`), undefined);
});

apart.test('a trigger function that runs with the writer\'s rights: preflight refuses and the schema phase does not install the triggers', async db => {
  const m = setups.get(db.name)!;
  const ley = (args: string[]) => runTs(args, { script: join(process.cwd(), 'node_modules/ley/bin.js'), env: { DATABASE_URL: m.migratorUrl } });
  const down = await ley(['down']);
  assert.is(down.code, 0, down.stdout + down.stderr);
  const [{ n }] = await m.asMigrator`select count(*)::int as n from pg_trigger where tgname like 'emailai\\_migration\\_%'`;
  assert.is(n, 0, 'ley down removed the window triggers');
  await m.asMigrator`alter function emailai_migration.email_account_written() security invoker`;
  try {
    const p = await asMigrator(db, ['preflight']);
    assert.is(p.code, 3, p.stderr);
    assert.match(p.stderr, /may not SET ROLE .*trigger emailai_migration_email_account_written on "EmailAccount" runs emailai_migration\.email_account_written\(\) with the writer's rights/);
    assert.match(p.stderr, /ALTER FUNCTION emailai_migration\.email_account_written\(\) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;/);
    const before = await databaseSnapshot(m.asMigrator);
    const s = await asMigrator(db, ['schema']);
    assert.is(s.code, 3, s.stderr.slice(-2000));
    assert.match(s.stderr, /the window triggers were not installed/);
    const [{ n: after }] = await m.asMigrator`select count(*)::int as n from pg_trigger where tgname like 'emailai\\_migration\\_%'`;
    assert.is(after, 0, 'a trigger was installed although the app could not fire it');
    assert.is(await databaseSnapshot(m.asMigrator).then(s => s.split('\n').filter(l => !/migration_log/.test(l)).join('\n')),
      before.split('\n').filter(l => !/migration_log/.test(l)).join('\n'), 'the refused schema phase changed something');
    assert.is(await errorCode(m.asApp`insert into "User" (id, "updatedAt", email) values ('apart_2', now(), 'apart_2@x.test')`), undefined);
  } finally {
    await m.asMigrator`alter function emailai_migration.email_account_written() security definer`;
  }
  const again = await asMigrator(db, ['schema']);
  assert.is(again.code, 0, again.stderr.slice(-2000));
});

runThenDropRoles(apart);

// ─── a statement_timeout on the migrator's role ────────────────────────────────
const timeout = dbSuite('roles: statement_timeout = 1s on the migrator', async db => {
  const m = await managedSetup(db, { users: 200, migratorInApp: true });
  // Enough rules that one index build takes longer than a second (checked below).
  await db.sql.begin(async tx => {
    await tx`set local session_replication_role = replica`; // no FK trigger per row: a fast load
    await tx`
      insert into "Rule" (id, "updatedAt", name, "emailAccountId")
      select 'big_' || g, now(), 'big rule ' || g, (select id from "EmailAccount" order by id limit 1 offset (g % 100))
      from generate_series(1, 1500000) g`;
  });
  await db.sql`vacuum analyze "Rule"`;
  await db.sql`alter role ${db.sql(m.migrator)} in database ${db.sql(db.name)} set statement_timeout = '1s'`;
});

timeout.test('the fixture is big enough: a CREATE INDEX CONCURRENTLY as the migrator is cut at 1 s', async db => {
  const m = setups.get(db.name)!;
  const sql = postgres(m.migratorUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ statement_timeout }] = await sql`show statement_timeout`;
    assert.is(statement_timeout, '1s');
    assert.is(await errorCode(sql`create index concurrently roles_probe_idx on "Rule" ("emailAccountId", enabled)`), '57014');
  } finally {
    await sql`drop index if exists roles_probe_idx`.catch(() => {});
    await sql.end();
  }
});

timeout.test('the schema phase completes and leaves no INVALID index; a re-run is a no-op', async db => {
  const m = setups.get(db.name)!;
  const r = await asMigrator(db, ['schema']);
  assert.is(r.code, 0, r.stderr.slice(-2500));
  const [{ invalid }] = await m.asMigrator`
    select count(*)::int as invalid from pg_index i join pg_class c on c.oid = i.indexrelid
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and not (i.indisvalid and i.indisready)`;
  assert.is(invalid, 0);
  const [{ valid }] = await m.asMigrator`select count(*)::int as valid from pg_constraint where not convalidated and contype = 'f'`;
  assert.is(valid, 0, 'a foreign key was left NOT VALID');
  const again = await asMigrator(db, ['schema']);
  assert.is(again.code, 0, again.stderr.slice(-1500));
  assert.match(again.stderr, /already up to date/);
});

runThenDropRoles(timeout);

// ─── a lock the schema phase cannot get ────────────────────────────────────────
const blocked = dbSuite('roles: a lock held by a session the migrator cannot see', async db => {
  await managedSetup(db, { users: 50, migratorInApp: true });
});

blocked.test('the schema phase gives up after its retries and names the session holding the lock', async db => {
  // A superuser's transaction (as a provider's maintenance or an anti-wraparound
  // autovacuum would be) holds "EmailAccount": ADD COLUMN cannot get its lock.
  const holder = await db.sql.reserve();
  try {
    await holder`begin`;
    await holder`lock table "EmailAccount" in access share mode`;
    const [{ pid }] = await holder`select pg_backend_pid() as pid`;
    const r = await asMigrator(db, ['schema', '--lock-timeout', '50', '--lock-retries', '2']);
    assert.is(r.code, 1, r.stderr.slice(-2000));
    assert.match(r.stderr, /113_add_email_account_organization_id\.sql: gave up after 3 tries/);
    assert.match(r.stderr, new RegExp(`locks on the app's tables are held by pid ${pid} \\(`), r.stderr.slice(-2000));
    assert.match(r.stderr, /run the same command again/);
  } finally {
    await holder`rollback`.catch(() => {});
    holder.release();
  }
  const again = await asMigrator(db, ['schema']);
  assert.is(again.code, 0, again.stderr.slice(-2000));
});

runThenDropRoles(blocked);

// ─── secrets ───────────────────────────────────────────────────────────────────
const secrets = dbSuite('roles: passwords stay out of ps and every output', async db => {
  await managedSetup(db, { users: 100, migratorInApp: true });
});

/** A pg_dump first on PATH that records its arguments, then runs the real one. */
function recordingPgDump(dir: string): { path: string; argsFile: string } {
  const argsFile = join(dir, 'pg_dump.args');
  const realPgDump = ['/usr/bin/pg_dump', '/usr/lib/postgresql/15/bin/pg_dump'].find(p => { try { return Boolean(readFileSync(p).length); } catch { return false; } }) ?? 'pg_dump';
  const script = join(dir, 'pg_dump');
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$0" "$@" >> '${argsFile}'\nexec '${realPgDump}' "$@"\n`);
  chmodSync(script, 0o755);
  return { path: dir, argsFile };
}

secrets.test('the password reaches pg_dump only through its environment, from the URL, ?password= or .pgpass', async db => {
  const m = setups.get(db.name)!;
  const dir = mkdtempSync(join(tmpdir(), 'emailai-secrets-'));
  try {
    const { path, argsFile } = recordingPgDump(dir);
    const base = new URL(m.migratorUrl);
    const inQuery = new URL(m.migratorUrl);
    inQuery.password = '';
    inQuery.searchParams.set('password', PASSWORD);
    const bare = new URL(m.migratorUrl);
    bare.password = '';
    const passfile = join(dir, 'pgpass');
    writeFileSync(passfile, `# a comment\nother:*:*:*:wrong\n${bare.hostname}:${bare.port}:${db.name}:${m.migrator}:${PASSWORD.replace(/:/g, '\\:')}\n`);
    chmodSync(passfile, 0o600);
    const cases: [string, Record<string, string>][] = [
      ['user:password@ in DATABASE_URL', { DATABASE_URL: base.toString() }],
      ['?password= in DATABASE_URL', { DATABASE_URL: inQuery.toString() }],
      ['PGPASSFILE', { DATABASE_URL: bare.toString(), PGPASSFILE: passfile }],
    ];
    const tooOld = await pgDumpTooOld(db);
    for (const [label, env] of cases) {
      const r = await runner(db, ['backup', '--file', join(dir, 'b.dump'), '--json'], { ...env, PGPASSWORD: undefined, PATH: `${path}:${process.env.PATH}` });
      if (tooOld) {
        // backup refuses before it runs pg_dump; what it prints still holds no password.
        assert.is(r.code, 3, `${label}: ${r.stderr.slice(-1500)}`);
        assert.not.ok((r.stdout + r.stderr).includes(PASSWORD), `${label}: the password is in the output`);
        continue;
      }
      assert.is(r.code, 0, `${label}: ${r.stderr.slice(-1500)}`);
      for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['pg_dump arguments', readFileSync(argsFile, 'utf8')]]) {
        assert.not.ok(text.includes(PASSWORD), `${label}: the password is in ${where}`);
      }
      assert.match(readFileSync(argsFile, 'utf8'), /--dbname/, `${label}: the recording pg_dump ran`);
      rmSync(argsFile, { force: true });
    }
    const [{ logged }] = await m.asMigrator`select count(*)::int as logged from migration_log where error_message like ${'%' + PASSWORD + '%'}`
      .catch(() => [{ logged: 0 }]);
    assert.is(logged, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

secrets.test('a password in --database-url is named once as visible in ps; never printed', async db => {
  const m = setups.get(db.name)!;
  const r = await runTs(['status', '--database-url', m.migratorUrl], { env: { DATABASE_URL: undefined } });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr.match(/visible to other users of this machine/g)?.length, 1, r.stderr);
  assert.not.ok((r.stdout + r.stderr).includes(PASSWORD));
  const quiet = await runner(db, ['status'], { DATABASE_URL: m.migratorUrl });
  assert.not.match(quiet.stderr, /visible to other users/);
});

secrets.test('a wrong password or a missing database is one line, exit 3, with no password in it', async db => {
  const m = setups.get(db.name)!;
  const wrong = new URL(m.migratorUrl);
  wrong.password = 'not-' + PASSWORD;
  const r = await runner(db, ['status'], { DATABASE_URL: wrong.toString() });
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /password authentication failed \(the password came from the database URL\)/);
  assert.not.ok(r.stderr.includes('not-' + PASSWORD));
  const missing = new URL(m.migratorUrl);
  missing.pathname = '/no_such_database_here';
  const r2 = await runner(db, ['status'], { DATABASE_URL: missing.toString() });
  assert.is(r2.code, 3, r2.stderr);
  assert.not.ok(r2.stderr.includes(PASSWORD));
});

runThenDropRoles(secrets);
