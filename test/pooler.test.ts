// A transaction-mode pooler is refused (exit 3, nothing changed) by every command
// that takes the package lock, through a real proxy over real connections
// (test/support/transaction-pooler.ts): one that gives each transaction a new
// backend, and a quiet one that gives every client the same single backend. A
// direct connection is not refused. The host/port names are checked without a server.
import * as assert from 'uvu/assert';
import { resolveTarget } from '../lib/connection.ts';
import { suite } from 'uvu';
import postgres from 'postgres';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { databaseSnapshot } from './snapshot.ts';
import { startTransactionPooler, type TransactionPooler } from './support/transaction-pooler.ts';
import { directConnectionProblem, poolerHostProblem } from '../lib/pooler.ts';

const names = suite('pooler host names');
names('Neon -pooler, Supabase 6543 and RDS Proxy hosts are named, with the direct endpoint', () => {
  assert.match(poolerHostProblem('ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech', 5432) ?? '',
    /Neon .*ep-cool-darkness-123456\.us-east-2\.aws\.neon\.tech/);
  assert.match(poolerHostProblem('aws-0-eu-central-1.pooler.supabase.com', 6543) ?? '', /Supabase.*port 5432/);
  assert.match(poolerHostProblem('db.abcdefghijklmnop.supabase.co', 6543) ?? '', /Supabase/);
  assert.match(poolerHostProblem('myproxy.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', 5432) ?? '', /RDS Proxy/);
});
names('direct endpoints pass', () => {
  for (const [host, port] of [
    ['ep-cool-darkness-123456.us-east-2.aws.neon.tech', 5432],
    ['aws-0-eu-central-1.pooler.supabase.com', 5432], // Supabase's session mode
    ['db.abcdefghijklmnop.supabase.co', 5432],
    ['mydb.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', 5432],
    ['mycluster.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', 5432],
    ['127.0.0.1', 6543], // 6543 alone is somebody's port choice, not a pooler
    ['/var/run/postgresql', 5432],
  ] as const) {
    assert.is(poolerHostProblem(host, port), undefined, `${host}:${port}`);
  }
});
names('directConnectionProblem refuses a pooler host before it connects', async () => {
  // Nothing listens there: the refusal must come from the name alone.
  const url = 'postgres://app:secret@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech:5432/neondb';
  const sql = postgres(url, { max: 1, connect_timeout: 1 });
  try {
    const problem = await directConnectionProblem(sql, resolveTarget(url));
    assert.match(problem ?? '', /transaction-mode pooler .*Neon.*connect directly to the database server.*nothing was changed/i);
  } finally {
    await sql.end({ timeout: 1 });
  }
});
names.run();

const poolers: TransactionPooler[] = [];
const PROBE_APP = 'emailai pooler test';
async function pooler(db: TestDatabase, mode: 'fresh' | 'one-server'): Promise<TransactionPooler> {
  const p = await startTransactionPooler(db.url, { mode });
  poolers.push(p);
  return p;
}

async function packageState(db: TestDatabase) {
  const [r] = await db.sql`
    select to_regnamespace('emailai_migration') is not null as schema,
           to_regclass('public.migration_log') is not null as log,
           to_regclass('public."Organization"') is not null as organization`;
  const rows = r.log ? (await db.sql`select migration_name, status from migration_log order by id`).map(x => `${x.migration_name}:${x.status}`) : [];
  return { schema: Boolean(r.schema), log: Boolean(r.log), organization: Boolean(r.organization), rows };
}

function assertPoolerRefusal(r: { code: number | null; stderr: string }, evidence: RegExp, what: string) {
  assert.is(r.code, 3, `${what}: exit 3 expected, got ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, /goes through a transaction-mode pooler/, `${what}: names the problem\n${r.stderr}`);
  assert.match(r.stderr, evidence, `${what}: says what gave it away\n${r.stderr}`);
  assert.match(r.stderr, /connect directly to the database server.*Supabase.*port 5432.*Neon.*without -pooler.*RDS Proxy.*nothing was changed/is,
    `${what}: names the fix\n${r.stderr}`);
  assert.not.match(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
}

const s = dbSuite('pooler refusal', async db => { await loadFixture(db.sql, { users: 40 }); });

s.test('the probes: a direct connection passes, each stand-in is caught by its own probe', async db => {
  const options = { max: 2, onnotice: () => {}, connection: { application_name: PROBE_APP } };
  const direct = postgres(db.url, options);
  const freshUrl = (await pooler(db, 'fresh')).url, quietUrl = (await pooler(db, 'one-server')).url;
  const fresh = postgres(freshUrl, options);
  const quiet = postgres(quietUrl, options);
  try {
    assert.is(await directConnectionProblem(direct, resolveTarget(db.url)), undefined);
    assert.match(await directConnectionProblem(fresh, resolveTarget(freshUrl)) ?? '', /two transactions on one connection ran on backends \d+ and \d+/);
    assert.match(await directConnectionProblem(quiet, resolveTarget(quietUrl)) ?? '', /a second connection, opened while the first was idle, got the same backend \d+/);
    // The stand-ins really are what they claim: a session lock does not survive a transaction.
    const conn = await fresh.reserve();
    try {
      const [a] = await conn.unsafe('select pg_backend_pid() as pid');
      const [b] = await conn.unsafe('select pg_backend_pid() as pid');
      assert.is.not(a.pid, b.pid, 'fresh: a new backend per transaction');
    } finally {
      conn.release();
    }
  } finally {
    await Promise.all([direct, fresh, quiet].map(x => x.end({ timeout: 1 })));
  }
});

s.test('schema through a pooler that gives each transaction a new backend: exit 3, nothing changed', async db => {
  const before = await databaseSnapshot(db.sql);
  const p = await pooler(db, 'fresh');
  const r = await runner(db, ['schema'], { DATABASE_URL: p.url });
  assertPoolerRefusal(r, /two transactions on one connection ran on backends/, 'schema');
  assert.equal(await packageState(db), { schema: false, log: false, organization: false, rows: [] }, 'no package object, no migration_log');
  assert.is(await databaseSnapshot(db.sql), before, 'nothing changed');
  assert.ok(p.backendsOpened() > 2, 'the runner did talk to the server through it');
});

s.test('schema through a quiet pooler with one backend for everybody: exit 3, nothing changed', async db => {
  const before = await databaseSnapshot(db.sql);
  const r = await runner(db, ['schema'], { DATABASE_URL: (await pooler(db, 'one-server')).url });
  assertPoolerRefusal(r, /a second connection, opened while the first was idle, got the same backend/, 'schema (quiet)');
  assert.equal(await packageState(db), { schema: false, log: false, organization: false, rows: [] });
  assert.is(await databaseSnapshot(db.sql), before, 'nothing changed');
});

s.test('preflight through either pooler: ✗ direct connection, exit 3', async db => {
  for (const mode of ['fresh', 'one-server'] as const) {
    const r = await runner(db, ['preflight'], { DATABASE_URL: (await pooler(db, mode)).url });
    assert.is(r.code, 3, `${mode}: ${r.stderr.slice(-1500)}`);
    assert.match(r.stderr, /✗ direct connection\s+.*goes through a transaction-mode pooler/, `${mode}: ${r.stderr.slice(-1500)}`);
  }
  const direct = await runner(db, ['preflight', '--json']);
  const item = (JSON.parse(direct.stdout).items as { item: string; status: string }[]).find(i => i.item === 'direct connection');
  assert.is(item?.status, 'ok');
});

s.test('directly, schema is not refused; then backfill through either pooler is, and leaves migration_log as it was', async db => {
  const direct = await runner(db, ['schema']);
  assert.is(direct.code, 0, direct.stderr);
  assert.not.match(direct.stderr, /transaction-mode pooler/, direct.stderr);
  const state = await packageState(db);
  assert.ok(state.schema && state.log, 'the schema phase ran');
  for (const mode of ['fresh', 'one-server'] as const) {
    const r = await runner(db, ['backfill'], { DATABASE_URL: (await pooler(db, mode)).url });
    assertPoolerRefusal(r, /backends|same backend/, `backfill (${mode})`);
    assert.equal(await packageState(db), state, `backfill (${mode}): no migration_log row`);
    const [{ n }] = await db.sql`select count(*)::int as n from "Organization"`;
    assert.is(n, 0, `backfill (${mode}): no organization made`);
  }
  const backfill = await runner(db, ['backfill']);
  assert.is(backfill.code, 0, `directly, backfill runs\n${backfill.stderr}`);
});

s.test('the stand-ins close every backend they opened', async db => {
  const ports = poolers.flatMap(p => p.backendPorts());
  assert.ok(ports.length > 10, `${ports.length} backends opened`);
  await Promise.all(poolers.splice(0).map(p => p.close()));
  let left = -1;
  for (let i = 0; i < 50 && left !== 0; i++) {
    if (i) await new Promise(r => setTimeout(r, 100));
    [{ left }] = await db.sql`select count(*)::int as left from pg_stat_activity where datname = ${db.name}
      and application_name in ('emailai-org-migration', ${PROBE_APP}) and client_port = any(${ports}::int[])`;
  }
  assert.is(left, 0, 'no backend of a stand-in is left');
});
s.run();
