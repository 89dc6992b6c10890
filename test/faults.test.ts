// Faults (issue 19): a package lock that cannot be lost unnoticed, and a clear stop
// on every dropped connection. Real sessions are terminated with pg_terminate_backend
// while the runner works; the next run must finish the job and nothing stays in_progress.
// Also: rollback --orgs while the old app writes, and names from hostile data (item 9).
import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import postgres from 'postgres';
import { startEmbedded } from '../dev/embedded.ts';
import type { Sql } from 'postgres';
import { dbSuite, runner, waitFor, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { BATCH_BARRIER_CLASS, PACKAGE_LOCK_KEY } from '../lib/package-lock.ts';
import { databaseSnapshot } from './snapshot.ts';
import { startWorkload, type PhaseStats } from './workload.ts';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function lockSessionPid(sql: Sql): Promise<number | undefined> {
  const [row] = await sql`select pid from pg_locks where locktype = 'advisory' and classid = 0 and objid = ${PACKAGE_LOCK_KEY} and objsubid = 1 and granted`;
  return row?.pid as number | undefined;
}

async function batchesDone(sql: Sql): Promise<number> {
  const [row] = await sql`select coalesce(sum(rows_done), 0)::int as n from emailai_migration.backfill_checkpoint`.catch(() => [{ n: 0 }]);
  return row.n as number;
}

/** Rows done by the run now in progress: checkpoints written since it started (the old ones a --restart is about to clear do not count). */
async function batchesDoneByThisRun(sql: Sql): Promise<number> {
  const [row] = await sql`
    select coalesce(sum(c.rows_done), 0)::int as n from emailai_migration.backfill_checkpoint c
    where c.updated_at >= (select max(started_at) from migration_log where status = 'in_progress')::timestamptz`.catch(() => [{ n: 0 }]);
  return row.n as number;
}

async function inProgressRows(sql: Sql): Promise<number> {
  const [row] = await sql`select count(*)::int as n from migration_log where status = 'in_progress'`;
  return row.n as number;
}

async function verifyPasses(db: TestDatabase): Promise<void> {
  const v = await runner(db, ['verify']);
  assert.is(v.code, 0, v.stderr.slice(-2000));
}

const fixture = async (db: TestDatabase) => {
  await loadFixture(db.sql, { users: 3000, edgeCases: false });
  const s = await runner(db, ['schema']);
  if (s.code !== 0) throw new Error(s.stderr);
};

// ─── the package lock's session ends under the runner ──────────────────────────
const lost = dbSuite('faults: the lock session terminated mid-backfill', fixture);
lost.test('the backfill stops within a batch, the runner started meanwhile finishes the job', async db => {
  const a = runner(db, ['backfill', '--batch-size', '100', '--sleep-ms', '30']);
  await waitFor('the first batches', async () => (await batchesDone(db.sql)) > 300);
  const pid: number = await waitFor('the lock session', () => lockSessionPid(db.sql)) as number;
  await db.sql`select pg_terminate_backend(${pid})`;
  // The second runner takes the freed lock while the first is still between batches.
  const b = runner(db, ['backfill', '--batch-size', '500']);
  const ra = await a;
  assert.is(ra.code, 1, ra.stderr.slice(-1500));
  assert.match(ra.stderr, /the package lock was lost .*nothing more was changed; run the same command again/, ra.stderr.slice(-1500));
  assert.not.match(ra.stderr, /TypeError|at .*\.ts:\d+/, 'no stack trace');
  const rb = await b;
  assert.is(rb.code, 0, rb.stderr.slice(-1500));
  assert.is(await inProgressRows(db.sql), 0);
  const [a1] = await db.sql`select status, error_message from migration_log where migration_name = 'multi_tenant_data' order by id limit 1`;
  assert.is(a1.status, 'failed');
  await verifyPasses(db);
});
lost.run();

const idle = dbSuite('faults: idle_session_timeout = 2s on the migrator role', async db => {
  await loadFixture(db.sql, { users: 1500, edgeCases: false });
  // The role the runner connects as, in this database only (other test files share the server).
  await db.sql`alter role ${db.sql(String(new URL(db.url).username))} in database ${db.sql(db.name)} set idle_session_timeout = '2s'`
    .catch(err => { if (err.code !== '42704') throw err; }); // PostgreSQL 13 has no idle_session_timeout
});
idle.test('a whole `up` (throttled, so sessions sit idle) completes or stops cleanly, never beside another runner', async db => {
  const r = await runner(db, ['up', '--sleep-ms', '5', '--batch-size', '200', '--skip-preflight']);
  if (r.code !== 0) {
    assert.is(r.code, 1, r.stderr.slice(-1500));
    assert.match(r.stderr, /run the same command again/, r.stderr.slice(-2500));
    const again = await runner(db, ['up', '--skip-preflight']);
    assert.is(again.code, 0, again.stderr.slice(-1500));
  }
  assert.is(await inProgressRows(db.sql), 0);
  await verifyPasses(db);
});
idle.run();

// ─── the connections of a run are cut ──────────────────────────────────────────
const cut = dbSuite('faults: backends terminated mid-batch', fixture);
cut.test('the batch\'s backend: exit 1, one line naming the pass, valid --json; the next run completes', async db => {
  const a = runner(db, ['backfill', '--batch-size', '100', '--sleep-ms', '20', '--json']);
  await waitFor('the first batches', async () => (await batchesDone(db.sql)) > 200);
  // A backend killed while idle between batches is replaced by the pool, and the run
  // goes on (rightly): kill one while its batch runs.
  let exited = false, killed = false;
  void a.then(() => { exited = true; });
  while (!exited && !killed) {
    const rows = await db.sql`
      select pid from pg_stat_activity where query like '%backfill_batch%' and state = 'active'
        and pid <> pg_backend_pid() and application_name = 'emailai-org-migration' limit 1`;
    if (rows.length) [{ killed }] = await db.sql`select pg_terminate_backend(${rows[0].pid as number}) as killed`;
    else await sleep(2);
  }
  assert.ok(killed, 'no batch was caught running');
  const r = await a;
  assert.is(r.code, 1, r.stderr.slice(-1500));
  const lines = r.stderr.split('\n').filter(l => l.startsWith('✗'));
  assert.is(lines.length, 1, r.stderr.slice(-1500));
  assert.match(lines[0], /backfill: the connection to .* was lost during pass \w+, the batch after key .*run the same command again to resume/, lines[0]);
  const doc = JSON.parse(r.stdout);
  assert.equal({ command: doc.command, ok: doc.ok, exitCode: doc.exitCode }, { command: 'backfill', ok: false, exitCode: 1 });
  const again = await runner(db, ['backfill']);
  assert.is(again.code, 0, again.stderr.slice(-1500));
  assert.is(await inProgressRows(db.sql), 0);
  await verifyPasses(db);
});

cut.test('every backend of the run cut: one line, exit 1; the next run completes and leaves nothing in_progress', async db => {
  const restart = runner(db, ['backfill', '--restart', '--batch-size', '100', '--sleep-ms', '20']);
  await waitFor('the run under way', async () => (await inProgressRows(db.sql)) > 0);
  await waitFor('batches after the restart', async () => (await batchesDoneByThisRun(db.sql)) > 200);
  await db.sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'emailai-org-migration' and pid <> pg_backend_pid()`;
  const r = await restart;
  assert.is(r.code, 1, r.stderr.slice(-1500));
  assert.is(r.stderr.split('\n').filter(l => l.startsWith('✗')).length, 1, r.stderr.split('\n').filter(l => l.startsWith('✗')).join('\n').slice(0, 3000));
  // Which connection went first decides the line: the batch's, or the lock's.
  assert.match(r.stderr, /(was lost during pass \w+|the package lock was lost).*run the same command again/, r.stderr.slice(-1500));
  assert.not.match(r.stderr, /TypeError: Cannot read properties of null|at .*\.ts:\d+/);
  const again = await runner(db, ['backfill']);
  assert.is(again.code, 0, again.stderr.slice(-1500));
  assert.is(await inProgressRows(db.sql), 0);
  await verifyPasses(db);
});

cut.test('a runner killed mid-batch (SIGKILL): its in_progress row is marked failed by the next run', async db => {
  const dead = runner(db, ['backfill', '--restart', '--batch-size', '100', '--sleep-ms', '20']);
  await waitFor('the run under way', async () => (await inProgressRows(db.sql)) > 0);
  await waitFor('batches after the restart', async () => (await batchesDoneByThisRun(db.sql)) > 200);
  // tsx runs the runner in a child process of its own: kill that one, then tsx.
  spawnSync('pkill', ['-KILL', '-P', String(dead.child.pid)]);
  dead.child.kill('SIGKILL');
  await dead;
  assert.is(await inProgressRows(db.sql), 1, 'a killed run cannot record its end');
  const again = await runner(db, ['backfill']);
  assert.is(again.code, 0, again.stderr.slice(-1500));
  assert.match(again.stderr, /left in_progress by a run that died: marked failed/);
  assert.is(await inProgressRows(db.sql), 0);
  const [row] = await db.sql`select status, error_message from migration_log where migration_name = 'multi_tenant_data' order by id desc offset 1 limit 1`;
  assert.is(row.status, 'failed');
  assert.match(row.error_message, /the run ended without recording its end/);
  await verifyPasses(db);
});

cut.run();

// ─── the server restarted mid-backfill ─────────────────────────────────────────
// On a server of its own (the suite's is shared with the other files' databases).
const restarted = suite('faults: the server restarted mid-backfill');
restarted('exit 1, one ✗ line with "run the same command again", valid --json; the next run completes, nothing in_progress', async () => {
  const server = await startEmbedded({ restartable: true });
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  await admin`create database emailai_restart`;
  await admin.end();
  const url = server.urlFor('emailai_restart');
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const db: TestDatabase = { name: 'emailai_restart', url, sql, drop: async () => {} };
  try {
    await fixture(db);
    const a = runner(db, ['backfill', '--batch-size', '100', '--sleep-ms', '20', '--json']);
    await waitFor('the first batches', async () => (await batchesDone(sql)) > 300);
    const [{ before }] = await sql`select pg_postmaster_start_time() as before`;
    await server.restart(); // pg_ctl restart -m fast: every session ended, the server back on the same port
    const r = await a;
    assert.is(r.code, 1, r.stderr.slice(-1500));
    const lines = r.stderr.split('\n').filter(l => l.startsWith('✗'));
    assert.is(lines.length, 1, r.stderr.slice(-1500));
    assert.match(lines[0], /run the same command again/, lines[0]);
    assert.not.match(r.stderr, /TypeError: Cannot read properties of null|at .*\.ts:\d+/, 'no stack trace');
    const doc = JSON.parse(r.stdout);
    assert.equal({ command: doc.command, ok: doc.ok, exitCode: doc.exitCode }, { command: 'backfill', ok: false, exitCode: 1 });
    const [{ after }] = await sql`select pg_postmaster_start_time() as after`;
    assert.ok(after > before, 'the server did not restart');
    const again = await runner(db, ['backfill']);
    assert.is(again.code, 0, again.stderr.slice(-1500));
    assert.is(await inProgressRows(sql), 0);
    await verifyPasses(db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
    await server.stop();
  }
});
restarted.run();

// ─── settings that would stall the app ─────────────────────────────────────────
const bounds = dbSuite('faults: settings that would stall the app are usage errors', async db => {
  await loadFixture(db.sql, { users: 20, edgeCases: false });
});
bounds.test('--lock-timeout 0, --batch-size 1000000, a 20-digit batch size, EMAILAI_LOCK_TIMEOUT_MS=0: exit 2, nothing changed', async db => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['schema', '--lock-timeout', '0'], {}, /--lock-timeout 0 is outside 10–2000 ms \(0 would turn the timeout off/],
    [['schema', '--lock-timeout', '60000'], {}, /--lock-timeout 60000 is outside/],
    [['backfill', '--batch-size', '1000000'], {}, /--batch-size 1000000 is outside 1–20000 rows: one batch is one transaction.*--allow-long-batches/],
    [['backfill', '--batch-size', '99999999999999999999'], {}, /--batch-size takes a whole number/],
    [['backfill', '--batch-size', '0'], {}, /--batch-size 0 is outside/],
    [['rollback', '--keep-orgs', '--batch-size', '50000'], {}, /--batch-size 50000 is outside/],
    [['schema'], { EMAILAI_LOCK_TIMEOUT_MS: '0' }, /EMAILAI_LOCK_TIMEOUT_MS 0 is outside/],
  ];
  for (const [args, env, message] of cases) {
    const r = await runner(db, args, env);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const [{ present }] = await db.sql`select to_regclass('public.migration_log') is not null as present`;
  assert.not.ok(present, 'a refused command changed the database');
});
bounds.run();

// ─── an index build behind a long transaction ──────────────────────────────────
const behind = dbSuite('faults: an index build behind a long transaction', async db => {
  await loadFixture(db.sql, { users: 200, edgeCases: false });
});
behind.test('gives up after --index-wait, without 40 rebuilds, naming the session; the next run finishes', async db => {
  // A repeatable-read transaction anywhere in the database holds a snapshot: every
  // CREATE INDEX CONCURRENTLY must wait for it to end.
  const old = await db.sql.reserve();
  try {
    await old`begin isolation level repeatable read`;
    await old`select count(*) from "Account"`; // a table the schema phase never alters
    await old`select set_config('application_name', 'a long report', false)`;
    const [{ pid }] = await old`select pg_backend_pid() as pid`;
    const started = performance.now();
    const r = await runner(db, ['schema', '--index-wait', '2000']);
    const seconds = (performance.now() - started) / 1000;
    assert.is(r.code, 1, r.stderr.slice(-1500));
    assert.match(r.stderr, new RegExp(`\\d+_index_\\w+\\.sql: CREATE INDEX CONCURRENTLY waited 2000 ms \\(--index-wait\\) for older transactions to end and gave up; still open: pid ${pid} \\(postgres, a long report, idle in transaction`), r.stderr.slice(-1500));
    assert.ok(seconds < 60, `it took ${seconds.toFixed(1)} s to give up`);
    assert.is((r.stderr.match(/dropping it concurrently to build it again/g) ?? []).length, 0, 'it rebuilt an index that only waited');
  } finally {
    await old`rollback`.catch(() => {});
    old.release();
  }
  const again = await runner(db, ['schema']);
  assert.is(again.code, 0, again.stderr.slice(-1500));
  const [{ invalid }] = await db.sql`select count(*)::int as invalid from pg_index where not indisvalid`;
  assert.is(invalid, 0);
});
behind.run();

// ─── refusals: exit 3, nothing changed ─────────────────────────────────────────
const notEmailAi = dbSuite('faults: commands on a database that is not EmailAI', async db => {
  await db.sql`create table invoices (id int primary key)`;
});
notEmailAi.test('every command that reads or writes EmailAI tables: exit 3, naming what is missing', async db => {
  for (const args of [['verify'], ['monitor'], ['diagnose', '--user', 'x'], ['cleanup'], ['cleanup', '--force'], ['schema'], ['backfill'],
                      ['rollback', '--orgs'], ['rollback', '--schema'], ['plan'], ['report'], ['status']]) {
    const r = await runner(db, args);
    assert.is(r.code, 3, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /not an EmailAI database: table\(s\) "User"/, `${args[0]}: ${r.stderr}`);
  }
  // These say it in their own words: preflight's item, or the package not installed.
  for (const [args, says] of [[['up'], /EmailAI tables \(not an EmailAI database: "User"/], [['handover'], /the package is not installed here/],
                              [['repair', '--seats'], /the schema phase has not run/]] as const) {
    const r = await runner(db, [...args]);
    assert.is(r.code, 3, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, says, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /nothing w(as|ere) changed/, `${args[0]}: ${r.stderr}`);
  }
  const [{ n }] = await db.sql`select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`;
  assert.is(n, 1, 'a refused command created a table');
});
notEmailAi.run();

const readOnly = dbSuite('faults: a read-only database', async db => {
  await loadFixture(db.sql, { users: 30, edgeCases: false });
  const s = await runner(db, ['schema']);
  if (s.code !== 0) throw new Error(s.stderr);
  await db.sql`alter database ${db.sql(db.name)} set default_transaction_read_only = on`;
});
readOnly.test('schema, backfill and rollback refuse at their first write: exit 3, connect to the primary', async db => {
  for (const args of [['schema'], ['backfill'], ['rollback', '--keep-orgs'], ['repair', '--seats']]) {
    const r = await runner(db, args);
    assert.is(r.code, 3, `${args[0]}: ${r.stderr.slice(-1500)}`);
    assert.match(r.stderr, /is read-only .*connect to the primary/, `${args[0]}: ${r.stderr.slice(-1500)}`);
  }
});
readOnly.run();

const busy = dbSuite('faults: verify while a backfill runs, schema without the rights', async db => {
  await loadFixture(db.sql, { users: 1500, edgeCases: false });
  const s = await runner(db, ['schema']);
  if (s.code !== 0) throw new Error(s.stderr);
});
busy.test('verify during a running backfill refuses, naming the runner', async db => {
  const backfill = runner(db, ['backfill', '--batch-size', '100', '--sleep-ms', '30']);
  try {
    await waitFor('the backfill under way', async () => (await batchesDone(db.sql)) > 100);
    const v = await runner(db, ['verify']);
    assert.is(v.code, 3, v.stderr.slice(-1500));
    assert.match(v.stderr, /another migration runner is at work \(it holds the package lock: pid \d+/);
  } finally {
    assert.is((await backfill).code, 0);
  }
  await verifyPasses(db);
});
busy.test('schema as a role that does not own the tables: exit 3 before anything, naming what it lacks', async db => {
  const role = `${db.name}_dml`;
  await db.sql`create role ${db.sql(role)} login password 'dml-only'`;
  try {
    await db.sql`grant select, insert, update, delete on all tables in schema public to ${db.sql(role)}`;
    const u = new URL(db.url);
    u.username = role;
    u.password = 'dml-only';
    const r = await runner(db, ['schema'], { DATABASE_URL: u.toString() });
    assert.is(r.code, 3, r.stderr.slice(-1500));
    assert.match(r.stderr, new RegExp(`role ${role} may not run the schema phase: it lacks .*"User": ownership \\(ALTER TABLE\\)`));
  } finally {
    await db.sql`drop owned by ${db.sql(role)}`;
    await db.sql`drop role ${db.sql(role)}`;
  }
});
busy.run();

// ─── the way back on a database never migrated ─────────────────────────────────
const never = dbSuite('faults: rollback --schema on a database never migrated', async db => {
  await loadFixture(db.sql, { users: 20, edgeCases: false });
});
never.test('changes nothing: no migration_log, no package schema', async db => {
  const before = await databaseSnapshot(db.sql);
  for (const args of [['rollback', '--schema'], ['rollback', '--orgs', '--dry-run']]) {
    const r = await runner(db, args);
    assert.ok(r.code === 0 || r.code === 3, `${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(-1500)}`);
    assert.match(r.stderr, /nothing to roll back|has not run|never|no data to undo/i, `${args.join(' ')}: ${r.stderr.slice(-1500)}`);
  }
  assert.is(await databaseSnapshot(db.sql), before, 'the way back on a never-migrated database changed it');
});
never.run();

// ─── rollback --orgs while the old app still writes (item 5) ───────────────────
const migrated = async (db: TestDatabase) => {
  await loadFixture(db.sql, { users: 2000, edgeCases: false });
  for (const phase of ['schema', 'backfill']) {
    const r = await runner(db, [phase]);
    if (r.code !== 0) throw new Error(`${phase}: ${r.stderr.slice(-1500)}`);
  }
};

/** What the migration made that is still there (registry and app tables alike). */
async function migrationLeftovers(sql: Sql) {
  const [r] = await sql`
    select (select count(*) from "Organization")::int as organizations,
           (select count(*) from "OrganizationMember")::int as memberships,
           (select count(*) from "EmailAccount" where "organizationId" is not null)::int as linked_inboxes,
           (select count(*) from "Organization" where "premiumId" is not null)::int as linked_premiums,
           (select count(*) from emailai_migration.created_organization)::int as registered_organizations,
           (select count(*) from emailai_migration.team_organization)::int as registered_teams,
           (select count(*) from emailai_migration.linked_email_account)::int as registered_inbox_links,
           (select count(*) from emailai_migration.linked_premium)::int as registered_premium_links`;
  return r;
}

const writing = dbSuite('faults: rollback --orgs while the old app still writes', migrated);
writing.test('no app write fails, nothing of the migration is left, and a later backfill relinks everything', async db => {
  const wl = await startWorkload(db.url, { connections: 4, pauseMs: 5, deadlineMs: 120_000, phase: 'before', extraOps: true });
  let stats: PhaseStats[] = [];
  let r: Awaited<ReturnType<typeof runner>>;
  try {
    await sleep(1000);
    wl.setPhase('rollback');
    r = await runner(db, ['rollback', '--orgs', '--batch-size', '100', '--sleep-ms', '20']);
    wl.setPhase('after');
    await sleep(1000);
  } finally {
    stats = await wl.stop();
  }
  assert.is(r.code, 0, r.stderr.slice(-2000));
  const errors = stats.flatMap(s => Object.entries(s.errorMessages).map(([m, n]) => `${s.phase}: ${n}× ${m}`));
  assert.equal(errors, [], 'the old app saw errors');
  const during = stats.find(s => s.phase === 'rollback')!;
  for (const op of ['signup', 'transfer_inbox', 'join_plan', 'delete_user'] as const) {
    assert.ok((during.byOp[op] ?? 0) > 0, `no ${op} ran during the rollback: ${JSON.stringify(during.byOp)}`);
  }
  assert.equal(await migrationLeftovers(db.sql), {
    organizations: 0, memberships: 0, linked_inboxes: 0, linked_premiums: 0,
    registered_organizations: 0, registered_teams: 0, registered_inbox_links: 0, registered_premium_links: 0,
  }, 'what the migration (or its triggers during the rollback) made is left');
  // The triggers stay installed (README: until --schema), paused until the next backfill.
  const [{ triggers, paused }] = await db.sql`
    select (select count(*) from pg_trigger where tgname like 'emailai\\_migration\\_%' and not tgisinternal)::int as triggers,
           (select count(*) from emailai_migration.window_pause)::int as paused`;
  assert.ok(triggers >= 8, `${triggers} window triggers left`);
  assert.is(paused, 1);
  const st = await runner(db, ['status']);
  assert.match(st.stdout + st.stderr, /window triggers: \d+ of \d+ installed and enabled; PAUSED by rollback since /, 'status shows the pause');

  // Re-runnable: the backfill resumes the triggers, relinks everything, verify holds.
  const b = await runner(db, ['backfill']);
  assert.is(b.code, 0, b.stderr.slice(-1500));
  assert.match(b.stderr, /the window triggers were paused by a rollback: resuming them/);
  const [{ still }] = await db.sql`select count(*)::int as still from emailai_migration.window_pause`;
  assert.is(still, 0);
  await verifyPasses(db);
  // And they work again: a sign-up gets its organization and its inbox is linked.
  await db.sql.begin(async tx => {
    await tx`insert into "User" (id, "updatedAt", name, email) values ('after_rollback_user', now(), 'After Rollback', 'after.rollback@example.test')`;
    await tx`insert into "Account" (id, "updatedAt", "userId", type, provider, "providerAccountId") values ('after_rollback_acc', now(), 'after_rollback_user', 'oauth', 'google', 'after_rollback_acc')`;
    await tx`insert into "EmailAccount" (id, "updatedAt", email, "userId", "accountId") values ('after_rollback_ea', now(), 'after.rollback@example.test', 'after_rollback_user', 'after_rollback_acc')`;
  });
  const [{ organizationId }] = await db.sql`select "organizationId" from "EmailAccount" where id = 'after_rollback_ea'`;
  assert.is(organizationId, 'mig_org_after_rollback_user');
});
writing.run();

// ─── the package lock's session ends under a rollback ──────────────────────────
const lostRollback = dbSuite('faults: the lock session terminated mid-rollback', migrated);
lostRollback.test('rollback --orgs stops within a batch, writes nothing once a second runner holds the lock (a backfill started meanwhile: exit 3); rollback again completes', async db => {
  // Who wrote when: the rollback unlinks inboxes and deletes organizations, the
  // backfill links inboxes and creates organizations (test-only triggers).
  await db.sql.unsafe(`
    create table test_writes (direction text not null, pid int not null, at timestamptz not null default clock_timestamp());
    create function test_record_write() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'EmailAccount' then
        insert into test_writes (direction, pid) values (case when new."organizationId" is null then 'rollback' else 'backfill' end, pg_backend_pid());
      else
        insert into test_writes (direction, pid) values (case when tg_op = 'DELETE' then 'rollback' else 'backfill' end, pg_backend_pid());
      end if;
      return null;
    end $$;
    create trigger test_ea_writes after update of "organizationId" on "EmailAccount" for each row
      when (old."organizationId" is distinct from new."organizationId") execute function test_record_write();
    create trigger test_org_writes after insert or delete on "Organization" for each row execute function test_record_write();`);
  try {
    const registered = async () => (await migrationLeftovers(db.sql)).registered_inbox_links as number;
    const start = await registered();
    const a = runner(db, ['rollback', '--orgs', '--batch-size', '50', '--sleep-ms', '30']);
    await waitFor('the first batches', async () => (await registered()) < start - 300);
    const pid: number = await waitFor('the lock session', () => lockSessionPid(db.sql)) as number;
    // A second runner, as fast as one can be: it takes the freed lock the moment the
    // session ends, the way acquirePackageLock does (the lock, then the batch barrier).
    const second = await db.sql.reserve();
    try {
      await db.sql`select pg_terminate_backend(${pid})`;
      await waitFor('the freed lock', async () => (await second`select pg_try_advisory_lock(${PACKAGE_LOCK_KEY}) as ok`)[0].ok, 10_000);
      await second`select pg_advisory_lock(${BATCH_BARRIER_CLASS}, 0)`;
      await second`select pg_advisory_unlock(${BATCH_BARRIER_CLASS}, 0)`;
      const [{ since }] = await second`select clock_timestamp() as since`;
      // A real runner started meanwhile is refused.
      const b = await runner(db, ['backfill', '--batch-size', '500']);
      assert.is(b.code, 3, b.stderr.slice(-1500));
      assert.match(b.stderr, /another migration runner holds the package lock/);
      const ra = await a;
      assert.is(ra.code, 1, ra.stderr.slice(-1500));
      assert.match(ra.stderr, /the package lock was lost .*nothing more was changed; run the same command again/, ra.stderr.slice(-1500));
      assert.is(ra.stderr.split('\n').filter(l => l.startsWith('✗')).length, 1, ra.stderr.slice(-1500));
      assert.not.match(ra.stderr, /TypeError|at .*\.ts:\d+/, 'no stack trace');
      const [w] = await db.sql`
        select count(*) filter (where at < ${since})::int as before, count(*) filter (where at >= ${since})::int as after
        from test_writes where direction = 'rollback'`;
      assert.ok(w.before > 0, 'the rollback wrote nothing before the lock was lost');
      assert.is(w.after, 0, `the rollback wrote ${w.after} row(s) after a second runner held the lock: two runners at once`);
    } finally {
      await second`select pg_advisory_unlock_all()`.catch(() => {});
      second.release();
    }
    // The end state is one the next run completes.
    const again = await runner(db, ['rollback', '--orgs']);
    assert.is(again.code, 0, again.stderr.slice(-1500));
    assert.is(await inProgressRows(db.sql), 0);
    const left = await migrationLeftovers(db.sql);
    assert.equal([left.organizations, left.memberships, left.linked_inboxes, left.registered_organizations], [0, 0, 0, 0]);
  } finally {
    await db.sql.unsafe(`drop trigger if exists test_ea_writes on "EmailAccount"; drop trigger if exists test_org_writes on "Organization";
                         drop function if exists test_record_write(); drop table if exists test_writes;`);
  }
});
lostRollback.run();

// ─── names from hostile data (item 9) ──────────────────────────────────────────
// [user id, name, email, the personal organization's name]
const HOSTILE_NAMES: [string, string | null, string, string][] = [
  ['hn_tab_local', null, 'ada\tlovelace@x.example', "ada lovelace's Organization"],
  ['hn_spaces_local', '', '  lead  double @x.example', "lead double's Organization"],
  ['hn_spaces_name', '  Ada   Lovelace ', 'ada2@x.example', "Ada Lovelace's Organization"],
  ['hn_empty_local', '   ', '@x.example', 'Personal Organization'],
  ['hn_rlo', 'Eve\u202Egnp.exe', 'eve@x.example', "Evegnp.exe's Organization"],
  ['hn_isolates', '\u2066Mallory\u2069 \u202AX\u202C', 'mallory@x.example', "Mallory X's Organization"],
  ['hn_zero_width', 'Zero\u200Bwidth\u200C\u200D\u2060\uFEFF', 'zw@x.example', "Zerowidth's Organization"],
  ['hn_only_invisible', '\u200B\uFEFF\u202E', 'invisible@x.example', "invisible's Organization"],
  ['hn_invisible_local', null, '\u202E\u200B@x.example', 'Personal Organization'],
  ['hn_long', 'x'.repeat(10_000), 'long@x.example', 'x'.repeat(100) + "'s Organization"],
  ['hn_long_cut_at_space', 'a'.repeat(99) + ' bcd', 'cut@x.example', 'a'.repeat(99) + "'s Organization"],
  ['hn_long_multibyte', '王'.repeat(150), 'wang@x.example', '王'.repeat(100) + "'s Organization"],
  ['hn_long_local', null, 'l'.repeat(150) + '@x.example', 'l'.repeat(100) + "'s Organization"],
];

const hostile = dbSuite('faults: names from hostile data', async db => {
  await loadFixture(db.sql, { users: 20, edgeCases: false });
  const s = await runner(db, ['schema']);
  if (s.code !== 0) throw new Error(s.stderr);
});
const insertHostile = (sql: Sql, rows: typeof HOSTILE_NAMES) => sql`
  insert into "User" ${sql(rows.map(([id, name, email]) => ({ id, name, email, updatedAt: new Date() })), 'id', 'name', 'email', 'updatedAt')}`;
const orgNames = async (sql: Sql, ids: string[]) => Object.fromEntries((await sql`
  select c.user_id, o.name from emailai_migration.created_organization c join "Organization" o on o.id = c.organization_id
  where c.user_id = any(${ids})`).map(r => [r.user_id, r.name]));

hostile.test('backfill, window trigger and repair give the exact names: cleaned like rule 1, invisible controls removed, capped at 100 + 15 characters', async db => {
  const half = Math.ceil(HOSTILE_NAMES.length / 2);
  const viaBackfill = HOSTILE_NAMES.slice(0, half), viaTrigger = HOSTILE_NAMES.slice(half);
  await insertHostile(db.sql, viaBackfill);
  const b = await runner(db, ['backfill']);
  assert.is(b.code, 0, b.stderr.slice(-1500));
  await insertHostile(db.sql, viaTrigger); // the window trigger gives them their organization
  const expected = Object.fromEntries(HOSTILE_NAMES.map(([id, , , name]) => [id, name]));
  assert.equal(await orgNames(db.sql, HOSTILE_NAMES.map(h => h[0])), expected);
  // repair --user makes the same name (its organization deleted first).
  await db.sql`delete from "Organization" where id = 'mig_org_hn_rlo'`;
  const r = await runner(db, ['repair', '--user', 'hn_rlo']);
  assert.is(r.code, 0, r.stderr.slice(-1500));
  assert.equal(await orgNames(db.sql, ['hn_rlo']), { hn_rlo: "Evegnp.exe's Organization" });
  const [{ longest }] = await db.sql`select max(char_length(name))::int as longest from "Organization"`;
  assert.ok(longest <= 115, `an organization name of ${longest} characters`);
  // A team organization's name is the same person part + 's Team (rule 3).
  const [t] = await db.sql`
    select emailai_migration.team_organization_name(${'x'.repeat(10_000)}, 'a@b') as long,
           emailai_migration.team_organization_name('  ', '@x.example') as empty,
           emailai_migration.team_organization_name(${'Eve\u202Egnp'}, 'e@b') as rlo`;
  assert.equal({ ...t }, { long: 'x'.repeat(100) + "'s Team", empty: 'Team Organization', rlo: "Evegnp's Team" });
  await verifyPasses(db);
});
hostile.run();
