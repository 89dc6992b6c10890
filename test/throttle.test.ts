// Issue 18: batches that size themselves to --target-batch-ms, and pauses while the
// database is unhealthy. Rows made heavier for real (a test-only trigger that sleeps
// per row) shrink the batches to about the target; a real long transaction pauses
// the backfill, which Ctrl-C still stops and which resumes once it commits; an app
// session waiting on a batch's row lock pauses it too; a role without
// pg_read_all_stats is told what it cannot see, and does not pause for it.
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import postgres, { type Sql } from 'postgres';
import { dbSuite, runner, waitFor, type RunResult, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { FIRST_SIZED_BATCH, MIN_SIZED_BATCH, nextBatchSize } from '../lib/batch-loop.ts';
import { judge, type HealthSample } from '../lib/health.ts';
import { join } from 'node:path';
import { QUERIES_DIR } from '../lib/paths.ts';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function rowsDone(sql: Sql): Promise<number> {
  const [row] = await sql`select coalesce(sum(rows_done), 0)::int as n from emailai_migration.backfill_checkpoint`.catch(() => [{ n: 0 }]);
  return row.n as number;
}

/** runner.ts with its stderr readable while it runs. */
function watched(db: TestDatabase, args: string[]) {
  const run = runner(db, args);
  const out = { stderr: '', exited: false };
  run.child.stderr!.on('data', d => (out.stderr += d));
  void run.then(() => { out.exited = true; });
  return { run, out };
}

const schemaFixture = (users: number) => async (db: TestDatabase) => {
  await loadFixture(db.sql, { users, edgeCases: false });
  const s = await runner(db, ['schema']);
  if (s.code !== 0) throw new Error(s.stderr);
};

async function verifyPasses(db: TestDatabase): Promise<void> {
  const v = await runner(db, ['verify']);
  assert.is(v.code, 0, v.stderr.slice(-2000));
}

// ─── the rules, without a database ─────────────────────────────────────────────
const pure = suite('throttle: the sizing rule and the health verdict');
pure('nextBatchSize: at most halved or doubled per batch, kept near the target, within MIN_SIZED_BATCH and the most', () => {
  assert.is(nextBatchSize(2000, 2000, 100, 2000), 1000, 'far too slow: halved, no more');
  assert.is(nextBatchSize(1000, 150, 100, 2000), 667);
  assert.is(nextBatchSize(1000, 110, 100, 2000), 1000, 'within 0.8–1.25 of the target: kept');
  assert.is(nextBatchSize(500, 10, 100, 2000), 1000, 'far too fast: doubled, no more');
  assert.is(nextBatchSize(1500, 10, 100, 2000), 2000, 'never above the most (--batch-size)');
  assert.is(nextBatchSize(12, 5000, 100, 2000), MIN_SIZED_BATCH, 'never below the floor');
  assert.is(nextBatchSize(5, 5000, 100, 5), 5, 'a --batch-size under the floor is the floor');
});
pure('judge: each reason named; what the role cannot see is unknown, never a reason', () => {
  const limits = { maxXactAgeS: 300, maxReplicationLagMs: 10_000 };
  const healthy: HealthSample = { app_sessions_waiting: 0, oldest_transaction_seconds: 5, hidden_sessions: 0, sees_all: true, replicas: 1, replay_lag_ms: '20' };
  assert.equal(judge(healthy, limits), { reasons: [], unknown: [] });
  assert.equal(judge({ ...healthy, app_sessions_waiting: 2 }, limits).reasons, ['2 app sessions wait on our locks']);
  assert.match(judge({ ...healthy, oldest_transaction_seconds: 301 }, limits).reasons.join(), /a transaction open for 301 s holds back vacuum/);
  assert.match(judge({ ...healthy, replay_lag_ms: '12000' }, limits).reasons.join(), /replication lag 12\.0 s/);
  assert.equal(judge({ ...healthy, replicas: 0, replay_lag_ms: null }, limits).reasons, []);
  const blind = judge({ ...healthy, oldest_transaction_seconds: null, hidden_sessions: 3, sees_all: false, replay_lag_ms: null }, limits);
  assert.equal(blind.reasons, []);
  assert.is(blind.unknown.length, 2);
});
pure.run();

// ─── (a) the duration target is held when rows get heavier ─────────────────────
const TARGET_MS = 100;
const heavy = dbSuite('throttle: heavier rows, smaller batches', async db => {
  await schemaFixture(5000)(db);
  // Test-only: every "Rule" row of the second half of the keys costs 1 ms more to
  // update (pg_sleep in a row trigger), so the rule_creators pass gets heavier half-way.
  // Created by the test's role, the tables' owner (TRIGGER privilege; no superuser
  // needed); verify's checks do not look at it.
  const [{ n, mid }] = await db.sql`select count(*)::int as n, (select id from "Rule" order by id offset (select count(*) / 2 from "Rule") limit 1) as mid from "Rule"`;
  if (n < 12_000) throw new Error(`the fixture has ${n} rules: too few for the heavy half to settle`);
  await db.sql.unsafe(`
    create function public.test_heavy_rule() returns trigger language plpgsql as $f$
    begin
      if new.id >= '${mid}' then perform pg_sleep(0.001); end if;
      return new;
    end $f$;
    create trigger test_heavy_rule before update on "Rule" for each row execute function public.test_heavy_rule();`);
});
heavy.test(`--target-batch-ms ${TARGET_MS}: the batches of the heavy half shrink and last about the target`, async db => {
  // One job: its batches cross from the light half of the keys into the heavy one.
  const r = await runner(db, ['backfill', '--json', '--target-batch-ms', String(TARGET_MS), '--batch-size', '2000', '--jobs', '1']);
  assert.is(r.code, 0, r.stderr.slice(-2000));
  const passes = JSON.parse(r.stdout).passes as { pass: string; batches: number; recentBatches: { size: number; ms: number }[]; maxBatchMs: number }[];
  // Each pass starts small (FIRST_SIZED_BATCH): seen in every pass whose batches were all kept.
  const whole = passes.filter(p => p.batches > 1 && p.batches === p.recentBatches.length);
  assert.ok(whole.length > 0, JSON.stringify(passes.map(p => [p.pass, p.batches])));
  for (const p of whole) assert.is(p.recentBatches[0].size, FIRST_SIZED_BATCH, `${p.pass}: ${JSON.stringify(p.recentBatches)}`);
  const pass = passes.find(p => p.pass === 'rule_creators')!;
  const batches = pass.recentBatches as { size: number; ms: number }[];
  // The last batch is short (the end of the table); the ten before it ran on heavy rows, adapted.
  const settled = batches.slice(-11, -1);
  assert.is(settled.length, 10, JSON.stringify(batches));
  const within = settled.filter(b => b.ms >= 0.3 * TARGET_MS && b.ms <= 3 * TARGET_MS).length;
  const median = settled.map(b => b.ms).sort((a, b) => a - b)[5];
  const report = JSON.stringify({ median, within, settled, maxBatchMs: pass.maxBatchMs });
  assert.ok(median >= 0.5 * TARGET_MS && median <= 2 * TARGET_MS, `the median of the settled batches is near ${TARGET_MS} ms: ${report}`);
  assert.ok(within >= 8, `at least 8 of 10 settled batches within 0.3x–3x of the target: ${report}`);
  assert.ok(settled.every(b => b.size <= 500), `the size went down from 2000: ${report}`);
  assert.ok(pass.maxBatchMs > 3 * TARGET_MS, `the first heavy batch was slow (that is what made it shrink): ${report}`);
  await verifyPasses(db);
});
heavy.run();

// ─── (b) a long transaction pauses the backfill; Ctrl-C; resume ────────────────
/** A transaction holding an xid (it holds back vacuum) until release() commits it. */
async function longTransaction(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>(r => (release = r));
  let started!: () => void;
  const began = new Promise<void>(r => (started = r));
  const done = sql.begin(async tx => {
    await tx`select txid_current()`;
    started();
    await released;
  });
  await began;
  return { async commit() { release(); await done; await sql.end({ timeout: 5 }); } };
}

const PAUSED_FOR_XACT = /paused(?: \([^)]*\))?: a transaction open for \d+ s holds back vacuum \(limit --max-xact-age-s 1\)/;
const xact = dbSuite('throttle: a long transaction', schemaFixture(3000));
xact.test('--max-xact-age-s 1: a long transaction pauses the backfill, and Ctrl-C stops it during the pause', async db => {
  const { run, out } = watched(db, ['backfill', '--batch-size', '100', '--sleep-ms', '20', '--max-xact-age-s', '1']);
  await waitFor('the first batches', async () => (await rowsDone(db.sql)) > 300);
  const tx = await longTransaction(db.url);
  try {
    await waitFor('the pause line', () => PAUSED_FOR_XACT.test(out.stderr) || out.exited);
    assert.match(out.stderr, PAUSED_FOR_XACT);
    const sent = performance.now();
    run.child.kill('SIGINT');
    // While the transaction stays open: a pause that ignored Ctrl-C would last until it commits.
    const r = await Promise.race([run, sleep(10_000).then(() => undefined)]);
    const seconds = (performance.now() - sent) / 1000;
    assert.ok(r, 'the runner stopped during the pause, the transaction still open');
    assert.is(r.code, 1, r.stderr.slice(-1500));
    assert.ok(seconds < 3, `stopped in ${seconds.toFixed(2)} s`);
    assert.match(r.stderr, /interrupted by the operator/);
  } finally {
    await tx.commit();
    await run;
  }
});
xact.test('--max-xact-age-s 1: paused while the transaction is open (the checkpoint stays), resumed when it commits; verify passes', async db => {
  const { run, out } = watched(db, ['backfill', '--json', '--batch-size', '100', '--sleep-ms', '20', '--max-xact-age-s', '1']);
  const before = await rowsDone(db.sql);
  await waitFor('batches of this run', async () => (await rowsDone(db.sql)) > before + 200);
  const tx = await longTransaction(db.url);
  let committed = false;
  try {
    await waitFor('the pause line', () => PAUSED_FOR_XACT.test(out.stderr) || out.exited);
    assert.match(out.stderr, PAUSED_FOR_XACT);
    // Paused: the checkpoint does not move while the transaction stays open.
    const atPause = await rowsDone(db.sql);
    for (const until = performance.now() + 2000; performance.now() < until;) {
      assert.is(await rowsDone(db.sql), atPause, 'no batch ran during the pause');
      assert.not.ok(out.exited, 'still running');
      await sleep(100);
    }
    await tx.commit();
    committed = true;
    const r: RunResult = await run;
    assert.is(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stderr, /resumed after a pause of \d/);
    assert.ok((await rowsDone(db.sql)) > atPause, 'it went on after the pause');
    const passes = JSON.parse(r.stdout).passes as { pausedMs: number }[];
    const paused = passes.reduce((n, p) => n + p.pausedMs, 0);
    assert.ok(paused >= 2000, `the pause is in the summary: ${paused} ms`);
  } finally {
    if (!committed) await tx.commit();
  }
  await verifyPasses(db);
});
xact.run();

// ─── an app session waiting on a batch's row lock ──────────────────────────────
const waits = dbSuite('throttle: an app session waits on our lock', async db => {
  await schemaFixture(2000)(db);
  // Test-only: the update of one "Rule" row, in the middle of the pass's first batch,
  // sleeps 3 s: the batch holds the row locks of the rows before it meanwhile.
  const [k] = await db.sql`select id from "Rule" order by id offset 1000 limit 1`;
  const [p] = await db.sql`select id from "Rule" where id < ${k.id} order by id desc limit 1`;
  await db.sql.unsafe(`
    create function public.test_slow_rule() returns trigger language plpgsql as $f$
    begin
      if new.id = '${k.id}' and new."createdBy" is not null and old."createdBy" is null then perform pg_sleep(3); end if;
      return new;
    end $f$;
    create trigger test_slow_rule before update on "Rule" for each row execute function public.test_slow_rule();`);
  await db.sql`create table public.test_slow_rule_key as select ${p.id}::text as id`;
});
waits.test('an app write queued behind a batch pauses the backfill ("1 app session waits on our locks"); it finishes after', async db => {
  const [{ id: locked }] = await db.sql`select id from public.test_slow_rule_key`;
  const { run, out } = watched(db, ['backfill', '--batch-size', '2000']);
  // The batch sleeping in the trigger holds the row before that key: the app's update waits for it.
  await waitFor('the batch in the slow row', async () => (await db.sql`
    select 1 from pg_stat_activity where wait_event = 'PgSleep' and application_name = 'emailai-org-migration'`).length > 0 || out.exited);
  const app = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await app`update "Rule" set "updatedAt" = "updatedAt" where id = ${locked}`;
  } finally {
    await app.end({ timeout: 5 });
  }
  const r = await run;
  assert.is(r.code, 0, r.stderr.slice(-2000));
  assert.match(r.stderr, /rule_creators +paused: 1 app session waits on our locks/);
  assert.match(r.stderr, /rule_creators +resumed after a pause of/);
  await verifyPasses(db);
});
waits.run();

// ─── what a role without pg_read_all_stats cannot see ───────────────────────────
const blind = dbSuite('throttle: a migrator without pg_read_all_stats');
blind.test('the health query runs as a plain role; another role\'s long transaction is unknown, not a reason to pause', async db => {
  const role = `throttle_plain_${process.pid}`, password = 'pw-' + Math.random().toString(36).slice(2, 12);
  await db.sql`create role ${db.sql(role)} login nosuperuser nocreaterole password ${db.sql.unsafe(`'${password}'`)}`;
  const u = new URL(db.url);
  u.username = role;
  u.password = password;
  // Both samples as the runner takes them: its sessions (application_name) are not counted.
  const asRunner = { max: 1, onnotice: () => {}, connection: { application_name: 'emailai-org-migration' } };
  const plain = postgres(u.toString(), asRunner);
  const superuser = postgres(db.url, asRunner);
  const tx = await longTransaction(db.url); // the test's superuser: hidden from the plain role
  try {
    const limits = { maxXactAgeS: 1, maxReplicationLagMs: 10_000 };
    const sample = async (sql: Sql) => (await sql.file(join(QUERIES_DIR, 'backfill_health.sql')) as unknown as HealthSample[])[0];
    // A role that sees every session pauses for it once it is over 1 s old.
    await waitFor('the superuser\'s sample to see the old transaction', async () => /holds back vacuum/.test(judge(await sample(superuser), limits).reasons.join()), 10_000);
    // The plain role, at the same moment, cannot see it: unknown, not a reason.
    const s = await sample(plain);
    assert.is(s.sees_all, false);
    assert.ok(s.hidden_sessions >= 1, JSON.stringify(s));
    const { reasons, unknown } = judge(s, limits);
    assert.equal(reasons, [], JSON.stringify(s));
    assert.match(unknown.join(), /the transactions of \d+ session\(s\) of other roles/);
    assert.match(unknown.join(), /replication lag/);
  } finally {
    await tx.commit();
    await plain.end({ timeout: 5 });
    await superuser.end({ timeout: 5 });
    await db.sql`drop role ${db.sql(role)}`;
  }
});
blind.run();
