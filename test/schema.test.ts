// Phase 1, the schema change (issue 2): exact objects, re-runs, ley up/down, the
// package lock, lock_timeout under a held lock, INVALID index rebuild, conflicting
// objects, the Prisma history.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import { dbSuite, PACKAGE_DIR, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { APP_TABLES, catalogSnapshot, tableChecksums } from './snapshot.ts';

/** One history row per file of migrations/. */
const MIGRATION_FILES = readdirSync(new URL('../migrations/', import.meta.url)).filter(f => f.endsWith('.ts'));

const LEY = join(PACKAGE_DIR, 'node_modules/ley/bin.js');

/** `npx ley <args>` as a DBA runs it: plain node, in the package folder. */
function ley(db: TestDatabase, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [LEY, ...args], { cwd: PACKAGE_DIR, env: { ...process.env, DATABASE_URL: db.url } });
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    child.on('close', code => resolve({ code, out }));
  });
}

// emailai-schema.md, "After the migration", written out independently of the
// package's own check so that the two can disagree.
const EXPECTED_COLUMNS = [
  'Organization.id text not null', 'Organization.createdAt timestamp(3) without time zone not null default CURRENT_TIMESTAMP',
  'Organization.updatedAt timestamp(3) without time zone not null', 'Organization.name text not null', 'Organization.slug text not null',
  'Organization.domain text', 'Organization.logoUrl text', 'Organization.premiumId text',
  'OrganizationMember.id text not null', 'OrganizationMember.createdAt timestamp(3) without time zone not null default CURRENT_TIMESTAMP',
  'OrganizationMember.updatedAt timestamp(3) without time zone not null', `OrganizationMember.role "OrganizationRole" not null default 'MEMBER'::"OrganizationRole"`,
  'OrganizationMember.userId text not null', 'OrganizationMember.organizationId text not null',
  'EmailAccount.organizationId text', 'Premium.maxSeats integer', 'Premium.usedSeats integer not null default 1',
  ...['Rule', 'Group', 'Knowledge', 'Category'].flatMap(t => [`${t}.createdBy text`, `${t}.isShared boolean not null default false`]),
];
const EXPECTED_INDEXES = [
  'Organization_pkey Organization (id) unique', 'OrganizationMember_pkey OrganizationMember (id) unique',
  'Organization_slug_key Organization (slug) unique', 'Organization_domain_key Organization (domain) unique',
  'OrganizationMember_userId_organizationId_key OrganizationMember (userId,organizationId) unique',
  'Organization_slug_idx Organization (slug)', 'OrganizationMember_organizationId_idx OrganizationMember (organizationId)',
  'OrganizationMember_userId_idx OrganizationMember (userId)', 'EmailAccount_organizationId_idx EmailAccount (organizationId)',
  ...['Rule', 'Group', 'Knowledge', 'Category'].flatMap(t => [`${t}_emailAccountId_isShared_idx ${t} (emailAccountId,isShared)`, `${t}_createdBy_idx ${t} (createdBy)`]),
];
const EXPECTED_FKS = [
  'Organization_premiumId_fkey Organization(premiumId) -> Premium SET NULL/CASCADE',
  'OrganizationMember_userId_fkey OrganizationMember(userId) -> User CASCADE/CASCADE',
  'OrganizationMember_organizationId_fkey OrganizationMember(organizationId) -> Organization CASCADE/CASCADE',
  'EmailAccount_organizationId_fkey EmailAccount(organizationId) -> Organization CASCADE/CASCADE',
  ...['Rule', 'Group', 'Knowledge', 'Category'].map(t => `${t}_createdBy_fkey ${t}(createdBy) -> User SET NULL/CASCADE`),
];

async function newObjects(db: TestDatabase) {
  const columns = await db.sql`
    select c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') as item
    from pg_attribute a join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      and (c.relname in ('Organization', 'OrganizationMember')
           or a.attname in ('organizationId', 'maxSeats', 'usedSeats', 'createdBy', 'isShared'))`;
  const indexes = await db.sql`
    select ic.relname || ' ' || tc.relname || ' (' ||
           (select string_agg(a.attname, ',' order by k.ord) from unnest(i.indkey) with ordinality k(attnum, ord)
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) || ')'
           || case when i.indisunique then ' unique' else '' end
           || case when i.indisvalid then '' else ' INVALID' end as item
    from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class tc on tc.oid = i.indrelid
    where tc.relnamespace = 'public'::regnamespace
      and (tc.relname in ('Organization', 'OrganizationMember') or ic.relname ~ '(organizationId|isShared|createdBy)_idx$')
      and ic.relname not like 'emailai\_migration\_%'`; // the package's own (sql/311-314): not the app's catalog
  const fks = await db.sql`
    select conname || ' ' || conrelid::regclass::text || '(' ||
           (select string_agg(a.attname, ',') from pg_attribute a where a.attrelid = conrelid and a.attnum = any (conkey)) || ') -> ' ||
           confrelid::regclass::text || ' ' ||
           case confdeltype when 'n' then 'SET NULL' when 'c' then 'CASCADE' when 'r' then 'RESTRICT' when 'a' then 'NO ACTION' end || '/' ||
           case confupdtype when 'c' then 'CASCADE' when 'a' then 'NO ACTION' else confupdtype::text end
           || case when convalidated then '' else ' NOT VALID' end as item
    from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace
      and conname in ${db.sql(EXPECTED_FKS.map(f => f.split(' ')[0]))}`;
  const [role] = await db.sql`select string_agg(enumlabel, ',' order by enumsortorder) as labels from pg_enum where enumtypid = '"OrganizationRole"'::regtype`;
  const norm = (rows: { item: string }[]) => rows.map(r => r.item.replaceAll('"', '')).sort();
  return { columns: norm(columns as any), indexes: norm(indexes as any), fks: norm(fks as any), role: role.labels as string };
}

const fixture = async (db: TestDatabase) => loadFixture(db.sql, { users: 300, edgeCases: true });

// ─── ley up / down ─────────────────────────────────────────────────────────────
const leySuite = dbSuite('schema: ley up and down', fixture);
let before: { catalog: string[]; content: Record<string, string> };

leySuite.test('ley up creates exactly the objects of emailai-schema.md', async db => {
  before = { catalog: await catalogSnapshot(db.sql), content: await tableChecksums(db.sql, { tables: APP_TABLES }) };
  const r = await ley(db, ['up']);
  assert.is(r.code, 0, r.out);
  const got = await newObjects(db);
  assert.equal(got.columns, EXPECTED_COLUMNS.map(c => c.replaceAll('"', '')).sort());
  assert.equal(got.indexes, EXPECTED_INDEXES.sort());
  assert.equal(got.fks, EXPECTED_FKS.sort());
  assert.is(got.role, 'OWNER,ADMIN,MEMBER,VIEWER');
  const own = await db.sql`select indexrelid::regclass::text as name from pg_index where indisvalid
                           and indexrelid::regclass::text like '"emailai\_migration\_%' order by 1`;
  assert.equal(own.map(r => r.name), ['"emailai_migration_Account_userId_idx"', '"emailai_migration_EmailAccount_userId_idx"',
    '"emailai_migration_Organization_premiumId_idx"', '"emailai_migration_User_premiumId_idx"']);
  const [log] = await db.sql`select status from migration_log where migration_name = 'multi_tenant_schema' order by id desc limit 1`;
  assert.is(log.status, 'completed');
});

leySuite.test('ley up a second time changes nothing', async db => {
  const catalog = await catalogSnapshot(db.sql);
  const history = await db.sql`select name from emailai_migration.ley_migrations order by id`;
  const r = await ley(db, ['up']);
  assert.is(r.code, 0, r.out);
  assert.equal(await catalogSnapshot(db.sql), catalog);
  assert.equal(await db.sql`select name from emailai_migration.ley_migrations order by id`, history);
  assert.is(history.length, MIGRATION_FILES.length);
});

leySuite.test('ley down --all leaves the pre-migration schema and every row as before', async db => {
  const r = await ley(db, ['down', '--all']);
  assert.is(r.code, 0, r.out);
  assert.equal(await catalogSnapshot(db.sql), before.catalog);
  assert.equal(await tableChecksums(db.sql, { tables: APP_TABLES }), before.content);
  const [log] = await db.sql`select status from migration_log where migration_name = 'multi_tenant_schema' order by id desc limit 1`;
  assert.is(log.status, 'rolled_back');
});

leySuite.test('ley up works again after ley down', async db => {
  const r = await ley(db, ['up']);
  assert.is(r.code, 0, r.out);
  assert.is((await newObjects(db)).indexes.length, EXPECTED_INDEXES.length);
});
leySuite.run();

// ─── two runners at once ───────────────────────────────────────────────────────
const concurrent = dbSuite('schema: two ley up at once', fixture);
concurrent.test('one applies, the other stops cleanly; one history row per migration', async db => {
  const [a, b] = await Promise.all([ley(db, ['up']), ley(db, ['up'])]);
  const codes = [a.code, b.code].sort();
  assert.ok(codes[0] === 0, a.out + b.out);
  if (codes[1] !== 0) assert.match(a.out + b.out, /another migration runner holds the package lock/);
  const rows = await db.sql`select name, count(*)::int as n from emailai_migration.ley_migrations group by name`;
  assert.is(rows.length, MIGRATION_FILES.length);
  assert.ok(rows.every(r => r.n === 1));
});
concurrent.run();

// ─── lock_timeout under a held lock ────────────────────────────────────────────
const locks = dbSuite('schema: a held lock on "EmailAccount"', fixture);
locks.test('app queries never wait behind the phase longer than the lock timeout; it completes after', async db => {
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  const app = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    // A long transaction that read "EmailAccount": ADD COLUMN (ACCESS EXCLUSIVE) must wait for it.
    const reserved = await holder.reserve();
    await reserved`begin`;
    await reserved`select count(*) from "EmailAccount"`;
    const schema = runner(db, ['schema', '--lock-timeout', '100']);
    let stderr = '';
    schema.child.stderr!.on('data', d => (stderr += d));
    const waits: number[] = [];
    // Held until a state, not for a time: the phase has been seen waiting for
    // "EmailAccount" in pg_locks, has given up and said it tries again (its lock
    // timeout, then a retry), and the app has queried the table meanwhile.
    const started = Date.now();
    let waiterSeen = false;
    const retried = () => /113_add_email_account_organization_id\.sql: lock not granted within lock_timeout; try [2-9]/.test(stderr);
    // pg_locks is watched on a connection of its own, beside the app's queries: an app
    // query queues behind the phase's waiting request, so a look taken after it returns
    // comes just after that request gave up (a CI run never saw it, that way).
    const watching = (async () => {
      while (!waiterSeen && Date.now() - started < 120_000 && schema.child.exitCode === null) {
        const [{ waiting }] = await db.sql`
          select count(*)::int as waiting from pg_locks
          where database = (select oid from pg_database where datname = current_database())
            and relation = '"EmailAccount"'::regclass and not granted`;
        waiterSeen ||= waiting > 0;
        if (!waiterSeen) await new Promise(r => setTimeout(r, 5));
      }
    })();
    while (!(waiterSeen && retried() && waits.length > 20)) {
      if (Date.now() - started > 120_000 || schema.child.exitCode !== null) break;
      const t = performance.now();
      await app`select id from "EmailAccount" limit 1`;
      waits.push(performance.now() - t);
      await new Promise(r => setTimeout(r, 20));
    }
    await watching;
    await reserved`commit`;
    reserved.release();
    assert.ok(waiterSeen && retried(), `the phase was ${waiterSeen ? '' : 'never seen waiting, '}${retried() ? '' : 'never seen retrying '}within 120 s` +
      (schema.child.exitCode !== null ? `; it ended with exit ${schema.child.exitCode}:\n${stderr}` : ''));
    const r = await schema;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /113_add_email_account_organization_id\.sql.*\(\d+ tries\)/);
    const worst = Math.max(...waits);
    assert.ok(worst < 600, `an app query waited ${worst.toFixed(0)} ms behind the schema phase`);
    assert.ok(waits.length > 20);
  } finally {
    await holder.end();
    await app.end();
  }
});
locks.run();

// ─── pre-existing objects ──────────────────────────────────────────────────────
const invalid = dbSuite('schema: an INVALID index left by a failed build', fixture);
invalid.test('is dropped and rebuilt valid', async db => {
  await db.sql`alter table "EmailAccount" add column "organizationId" text`;
  await db.sql`create index "EmailAccount_organizationId_idx" on "EmailAccount" ("organizationId")`;
  await db.sql`update pg_index set indisvalid = false where indexrelid = '"EmailAccount_organizationId_idx"'::regclass`;
  const r = await runner(db, ['schema']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /exists INVALID/);
  const [idx] = await db.sql`select indisvalid from pg_index where indexrelid = '"EmailAccount_organizationId_idx"'::regclass`;
  assert.is(idx.indisvalid, true);
});
invalid.run();

const conflict = dbSuite('schema: an "Organization" of another shape', fixture);
conflict.test('stops the phase with a message naming it, exit 3, nothing changed', async db => {
  await db.sql`create table "Organization" (id integer primary key, "createdAt" timestamp(3) not null default current_timestamp, "updatedAt" timestamp(3) not null, name text not null, slug text not null, domain text, "logoUrl" text, "premiumId" text)`;
  const catalog = await catalogSnapshot(db.sql);
  const r = await runner(db, ['schema']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /Organization.*id/);
  assert.match(r.stderr, /nothing was changed/);
  assert.equal(await catalogSnapshot(db.sql), catalog);
});
conflict.run();

// ─── the app's Prisma history ──────────────────────────────────────────────────
const prisma = dbSuite('schema: the Prisma history', fixture);
const PRISMA_DIR = join(PACKAGE_DIR, 'test/fixtures/prisma-migrations');
prisma.test('without --prisma-migrations the resolve commands are printed, nothing recorded', async db => {
  const r = await runner(db, ['schema']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /npx prisma migrate resolve --applied 20250930165011_add_organizations_multi_tenant/);
  assert.match(r.stderr, /npx prisma migrate resolve --applied 20250930170000_add_shared_resources/);
  const rows = await db.sql`select 1 from "_prisma_migrations" where migration_name like '20250930%'`;
  assert.is(rows.length, 0);
});
prisma.test('--prisma-migrations DIR records both as applied with the sha256 of migration.sql, once', async db => {
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  for (let i = 0; i < 2; i++) {
    const r = await runner(db, ['schema', '--prisma-migrations', PRISMA_DIR]);
    assert.is(r.code, 0, r.stderr);
  }
  const rows = await db.sql`select migration_name, checksum, finished_at is not null as done from "_prisma_migrations" where migration_name like '20250930%' order by 1`;
  assert.is(rows.length, 2);
  for (const row of rows) {
    const sha = createHash('sha256').update(readFileSync(join(PRISMA_DIR, row.migration_name, 'migration.sql'))).digest('hex');
    assert.is(row.checksum, sha);
    assert.ok(row.done);
  }
});
prisma.run();

const appliedByApp = dbSuite('schema: objects already made by the app\'s own prisma migrate deploy', fixture);
appliedByApp.test('are verified, not re-created, and ley down keeps them', async db => {
  // Simulate the app having applied its first migration: run our steps, then forget
  // our history and record the Prisma row as the app would.
  let r = await runner(db, ['schema']);
  assert.is(r.code, 0, r.stderr);
  await db.sql`delete from emailai_migration.ley_migrations`;
  await db.sql`insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
               values ('app-applied-1', repeat('a', 64), now(), '20250930165011_add_organizations_multi_tenant', 1)`;
  r = await runner(db, ['schema']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /already applied: its objects are verified, not created/);
  const d = await ley(db, ['down', '--all']);
  assert.is(d.code, 0, d.out);
  const [org] = await db.sql`select to_regclass('public."Organization"') is not null as kept`;
  assert.is(org.kept, true, 'the app\'s own "Organization" table must be kept');
  const [rule] = await db.sql`select count(*)::int as n from pg_attribute where attrelid = '"Rule"'::regclass and attname = 'createdBy' and not attisdropped`;
  assert.is(rule.n, 0, 'our own second migration is undone');
});
appliedByApp.run();

const cleaned = dbSuite('schema: after cleanup', fixture);
cleaned.test('ley up and runner schema refuse to reinstall the window triggers', async db => {
  let r = await runner(db, ['schema']);
  assert.is(r.code, 0, r.stderr);
  await db.sql`drop schema emailai_migration cascade`;
  await db.sql`insert into migration_log (migration_name, status, completed_at) values ('cleanup', 'completed', now())`;
  const l = await ley(db, ['up']);
  assert.is.not(l.code, 0, l.out);
  assert.match(l.out, /cleaned up/);
  r = await runner(db, ['schema']);
  assert.is(r.code, 3, r.stderr);
  const [t] = await db.sql`select count(*)::int as n from pg_trigger where tgname like 'emailai_migration_%'`;
  assert.is(t.n, 0);
});
cleaned.run();
