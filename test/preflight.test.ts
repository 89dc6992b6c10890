// preflight refusals: each unsafe state exits 3, names the failed item, and changes
// nothing (catalog + every row compared before/after); `up` refuses the same way.
import * as assert from 'uvu/assert';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { databaseSnapshot } from './snapshot.ts';
import { PACKAGE_LOCK_KEY } from '../lib/package-lock.ts';

async function assertRefused(db: TestDatabase, item: RegExp, extra: string[] = [], url?: string) {
  const before = await databaseSnapshot(db.sql);
  for (const command of ['preflight', 'up']) {
    const r = await runner(db, [command, ...extra], url ? { DATABASE_URL: url } : {});
    assert.is(r.code, 3, `${command}: exit 3 expected, got ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, item, `${command}: the failed item is named\n${r.stderr}`);
    assert.not.match(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  }
  assert.is(await databaseSnapshot(db.sql), before, 'nothing changed');
}

const empty = dbSuite('preflight empty database');
empty.test('an empty database is refused (exit 3, nothing changed)', async db => {
  await assertRefused(db, /✗ EmailAI tables\s+the database is empty/);
});
empty.run();

const other = dbSuite('preflight other database', async db => {
  await db.sql`create table invoices (id int primary key, total numeric)`;
  await db.sql`insert into invoices values (1, 9.5)`;
});
other.test('a non-EmailAI database is refused (exit 3, nothing changed)', async db => {
  await assertRefused(db, /✗ EmailAI tables\s+not an EmailAI database: "User"/);
});
other.run();

const ready = dbSuite('preflight ready', async db => { await loadFixture(db.sql, { users: 50 }); });
ready.test('a healthy EmailAI database passes every item (exit 0, --json lists them)', async db => {
  const r = await runner(db, ['preflight', '--json']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.passed);
  const names = doc.items.map((i: { item: string }) => i.item);
  for (const n of ['server version', 'writable server', 'EmailAI tables', 'privileges', 'app Prisma migrations',
    'package lock', 'migration schema', 'long transactions', 'free connections', 'replication lag', 'free disk']) {
    assert.ok(names.includes(n), `item ${n}`);
  }
});
ready.test('a held package lock is refused', async db => {
  const conn = await db.sql.reserve();
  try {
    await conn`select pg_advisory_lock(${PACKAGE_LOCK_KEY})`;
    await assertRefused(db, /✗ package lock\s+another runner holds it \(pid \d+/);
  } finally {
    await conn`select pg_advisory_unlock(${PACKAGE_LOCK_KEY})`;
    conn.release();
  }
});
ready.test('an open transaction older than --max-transaction-age is refused', async db => {
  let release!: () => void;
  const open = new Promise<void>(r => (release = r));
  let started!: () => void;
  const began = new Promise<void>(r => (started = r));
  const held = db.sql.begin(async tx => { await tx`select 1`; started(); await open; });
  try {
    await began;
    await new Promise(r => setTimeout(r, 1500));
    await assertRefused(db, /✗ long transactions\s+1 transaction\(s\) older than 1 s/, ['--max-transaction-age', '1']);
  } finally {
    release();
    await held;
  }
});
ready.test('a role without the needed privileges is refused', async db => {
  const role = `emailai_t_ro_${process.pid}`;
  await db.sql.unsafe(`create role ${role} login password 'ro-pass-1'`);
  try {
    await db.sql.unsafe(`grant connect on database ${db.name} to ${role}`);
    await db.sql.unsafe(`grant usage on schema public to ${role}`);
    await db.sql.unsafe(`grant select on all tables in schema public to ${role}`);
    const u = new URL(db.url);
    u.username = role;
    u.password = 'ro-pass-1';
    await assertRefused(db, /✗ privileges\s+role emailai_t_ro_\d+ lacks CREATE on schema public.*"User": ownership \(ALTER TABLE\), TRIGGER, REFERENCES/, [], u.toString());
  } finally {
    await db.sql.unsafe(`drop owned by ${role}`);
    await db.sql.unsafe(`drop role ${role}`);
  }
});
ready.test('a read-only server (default_transaction_read_only) is refused', async db => {
  await db.sql.unsafe(`alter database ${db.name} set default_transaction_read_only = on`);
  try {
    await assertRefused(db, /✗ writable server\s+default_transaction_read_only is on/);
  } finally {
    await db.sql.unsafe(`set default_transaction_read_only = off`);
    await db.sql.unsafe(`alter database ${db.name} reset default_transaction_read_only`);
  }
});
ready.run();
