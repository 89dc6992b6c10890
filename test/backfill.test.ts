// Phase 2, the backfill (issue 3): every data rule of SPEC.md pinned on the
// edge-case fixture, users who already own organizations, nothing else changed,
// and a second run that changes nothing.
import { createHash } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { Sql } from 'postgres';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NEW_COLUMNS = ['organizationId', 'createdBy', 'isShared', 'maxSeats', 'usedSeats'];
const APP_TABLES = ['User', 'Account', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category'];

/** Per table: row count and md5 of every row without the columns the migration adds. */
async function originalColumns(sql: Sql) {
  const out: Record<string, string> = {};
  for (const t of APP_TABLES) {
    const [r] = await sql`
      select count(*)::int as n,
             md5(coalesce(string_agg((to_jsonb(x) - ${NEW_COLUMNS}::text[])::text, E'\n' order by x.id), '')) as h
      from ${sql(t)} x`;
    out[t] = `${r.n}:${r.h}`;
  }
  return out;
}

/** Every row of every table the migration writes, new columns and tables included. */
async function everything(sql: Sql) {
  const out: Record<string, string> = {};
  for (const t of [...APP_TABLES, 'Organization', 'OrganizationMember']) {
    const [r] = await sql`select md5(coalesce(string_agg(to_jsonb(x)::text, E'\n' order by x.id), '')) as h from ${sql(t)} x`;
    out[t] = r.h;
  }
  for (const t of ['created_organization', 'linked_email_account', 'linked_premium']) {
    // Ordered by the row's text (an ORDER BY 1 inside the aggregate would order by the constant 1: heap order).
    const [r] = await sql`select md5(coalesce(string_agg(j, E'\n' order by j), '')) as h
                          from (select (to_jsonb(x) - 'linked_at' - 'created_at')::text as j from ${sql('emailai_migration')}.${sql(t)} x) rows`;
    out[t] = r.h;
  }
  return out;
}

async function personalOrg(sql: Sql, userId: string) {
  const [row] = await sql`
    select o.id, o.name, o.slug, o."premiumId"
    from emailai_migration.created_organization c join "Organization" o on o.id = c.organization_id
    where c.user_id = ${userId}`;
  return row;
}

// A user (the first generated one) already owns two organizations, made as the new app
// would; a second user is only a MEMBER of one of them; an organization holds the slug
// edge_john_a would get with the default suffix.
const PRE_OWNED_EARLY = 'app_org_early';
const PRE_OWNED_LATE = 'app_org_late';
let owner = '';
let memberOnly = '';
let before: Record<string, string>;

const s = dbSuite('backfill: data rules on the edge-case fixture', async (db: TestDatabase) => {
  await loadFixture(db.sql, { users: 400, edgeCases: true });
  const r = await runner(db, ['schema']);
  if (r.code !== 0) throw new Error('schema failed: ' + r.stderr);
  before = await originalColumns(db.sql);
  const users = await db.sql`select id from "User" where id not like 'edge_%' and exists (select 1 from "EmailAccount" ea where ea."userId" = "User".id) order by id limit 2`;
  owner = users[0].id;
  memberOnly = users[1].id;
  await db.sql`insert into "Organization" (id, "createdAt", "updatedAt", name, slug) values
    (${PRE_OWNED_EARLY}, '2025-01-01', '2025-01-01', 'Early', 'early-app-org'),
    (${PRE_OWNED_LATE}, '2025-06-01', '2025-06-01', 'Late', 'late-app-org'),
    ('app_org_slug_taker', '2025-01-01', '2025-01-01', 'Slug taker', ${'john-' + md5('edge_john_a').slice(0, 6)})`;
  await db.sql`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId") values
    ('app_m1', now(), 'OWNER', ${owner}, ${PRE_OWNED_LATE}),
    ('app_m2', now(), 'OWNER', ${owner}, ${PRE_OWNED_EARLY}),
    ('app_m3', now(), 'MEMBER', ${memberOnly}, ${PRE_OWNED_EARLY}),
    ('app_m4', now(), 'OWNER', 'edge_no_inbox', 'app_org_slug_taker')`;
  // One job: the --jobs 3 case below compares its result with this one's.
  const b = await runner(db, ['backfill', '--jobs', '1', '--batch-size', '100', '--json']);
  if (b.code !== 0) throw new Error('backfill failed: ' + b.stderr);
});

s.test('a name with tabs and newlines becomes one line', async db => {
  assert.is((await personalOrg(db.sql, 'edge_tab_name')).name, "Ada Lovelace's Organization");
});

s.test('an empty, NULL or blank name falls back to the email local part', async db => {
  assert.is((await personalOrg(db.sql, 'edge_empty_name')).name, "empty.name's Organization");
  assert.is((await personalOrg(db.sql, 'edge_null_name')).name, "null.name's Organization");
  assert.is((await personalOrg(db.sql, 'edge_blank_name')).name, "blank.name's Organization");
});

s.test('quotes and SQL fragments are kept as text', async db => {
  const [u] = await db.sql`select name from "User" where id = 'edge_sql_name'`;
  assert.is((await personalOrg(db.sql, 'edge_sql_name')).name, `${u.name.trim()}'s Organization`);
});

s.test('john@a and JOHN@b get different valid slugs; a taken slug lengthens the suffix', async db => {
  const a = (await personalOrg(db.sql, 'edge_john_a')).slug;
  const b = (await personalOrg(db.sql, 'edge_john_b')).slug;
  assert.is.not(a, b);
  assert.is(b, 'john-' + md5('edge_john_b').slice(0, 6));
  assert.is(a, 'john-' + md5('edge_john_a').slice(0, 8), 'the 6-character slug was taken: 8 characters');
  assert.match(a, SLUG);
  assert.match(b, SLUG);
});

s.test('symbol-only, non-ASCII and 64-character local parts give valid slugs', async db => {
  assert.is((await personalOrg(db.sql, 'edge_symbols')).slug, 'org-' + md5('edge_symbols').slice(0, 6));
  assert.is((await personalOrg(db.sql, 'edge_unicode')).slug, 'jos-' + md5('edge_unicode').slice(0, 6));
  const long = (await personalOrg(db.sql, 'edge_long_local')).slug;
  assert.ok(long.length <= 40 + 1 + 6, long);
  assert.match(long, SLUG);
});

s.test('every organization the migration created has a valid, unique slug and one OWNER', async db => {
  const [r] = await db.sql`
    select count(*)::int as orgs,
           count(*) filter (where o.slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$')::int as bad_slugs,
           count(distinct o.slug)::int as slugs,
           count(*) filter (where (select count(*) from "OrganizationMember" m where m."organizationId" = o.id and m.role = 'OWNER') <> 1)::int as bad_owners
    from emailai_migration.created_organization c join "Organization" o on o.id = c.organization_id`;
  assert.is(r.bad_slugs, 0);
  assert.is(r.slugs, r.orgs);
  assert.is(r.bad_owners, 0);
  const [users] = await db.sql`select count(*)::int as n from "User"`;
  assert.is(r.orgs, users.n - 2, 'everyone but the two users who already owned one');
});

s.test('a user who already owns organizations gets none; inboxes go to the earliest owned', async db => {
  assert.is(await personalOrg(db.sql, owner), undefined);
  const inboxes = await db.sql`select distinct "organizationId" from "EmailAccount" where "userId" = ${owner}`;
  assert.equal(inboxes.map(i => i.organizationId), [PRE_OWNED_EARLY]);
});

s.test('a mere member gets a personal organization; their inbox never goes where they are not OWNER', async db => {
  const org = await personalOrg(db.sql, memberOnly);
  assert.ok(org);
  const inboxes = await db.sql`select distinct "organizationId" from "EmailAccount" where "userId" = ${memberOnly}`;
  assert.equal(inboxes.map(i => i.organizationId), [org.id]);
  const [leaks] = await db.sql`
    select count(*)::int as n from "EmailAccount" ea
    where ea."organizationId" is null or not exists (
      select 1 from "OrganizationMember" m where m."organizationId" = ea."organizationId" and m."userId" = ea."userId" and m.role = 'OWNER')`;
  assert.is(leaks.n, 0);
});

s.test('a premium shared by 7 users with 5 seats bought: one team organization, usedSeats 7, maxSeats 7', async db => {
  const [p] = await db.sql`select "usedSeats", "maxSeats" from "Premium" where id = 'edge_premium_7'`;
  assert.is(p.usedSeats, 7);
  assert.is(p.maxSeats, 7);
  const linked = await db.sql`select id from "Organization" where "premiumId" = 'edge_premium_7'`;
  assert.equal(linked.map(o => o.id), ['mig_team_edge_premium_7']);
});

s.test('emailAccountsAccess NULL keeps maxSeats NULL; above the user count it is kept', async db => {
  const [p] = await db.sql`select "usedSeats", "maxSeats" from "Premium" where id = 'edge_premium_null_access'`;
  assert.equal([p.usedSeats, p.maxSeats], [2, null]);
  const [above] = await db.sql`
    select count(*)::int as n from "Premium" p
    where p."emailAccountsAccess" > p."usedSeats" and p."maxSeats" is distinct from p."emailAccountsAccess"
      and exists (select 1 from "Organization" o where o."premiumId" = p.id)`;
  assert.is(above.n, 0);
});

s.test('a premium with no users stays unlinked and untouched', async db => {
  const [linked] = await db.sql`select count(*)::int as n from "Organization" where "premiumId" = 'edge_premium_none'`;
  assert.is(linked.n, 0);
  const [p] = await db.sql`select "usedSeats", "maxSeats" from "Premium" where id = 'edge_premium_none'`;
  assert.equal([p.usedSeats, p.maxSeats], [1, null]);
});

s.test('createdBy of rules, groups, knowledge and categories is the inbox owner; isShared stays false', async db => {
  for (const t of ['Rule', 'Group', 'Knowledge', 'Category']) {
    const [r] = await db.sql`
      select count(*)::int as total,
             count(*) filter (where x."createdBy" is distinct from ea."userId" or x."isShared")::int as wrong
      from ${db.sql(t)} x join "EmailAccount" ea on ea.id = x."emailAccountId"`;
    assert.ok(r.total > 0, t);
    assert.is(r.wrong, 0, t);
  }
});

s.test('nothing else changed: no row deleted, no original column (updatedAt included) written', async db => {
  assert.equal(await originalColumns(db.sql), before);
});

s.test('a second backfill, from scratch, changes no row', async db => {
  const first = await everything(db.sql);
  const r = await runner(db, ['backfill', '--restart', '--batch-size', '100']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await everything(db.sql), first);
});

s.test('--jobs 3: the parallel passes, walked in three key ranges side by side, write exactly what one job wrote', async db => {
  const oneJob = await everything(db.sql);
  // Undo what the parallel passes (sql/310 backfill_passes().parallel) wrote (the inboxes
  // they linked, the creators they set), without the window triggers
  // (session_replication_role: the test's superuser setup), and forget their checkpoints.
  await db.sql.begin(async tx => {
    await tx`set local session_replication_role = replica`;
    for (const t of ['Rule', 'Group', 'Knowledge', 'Category']) await tx`update ${tx(t)} set "createdBy" = null`;
    await tx`update "EmailAccount" ea set "organizationId" = null from emailai_migration.linked_email_account l where l.email_account_id = ea.id`;
    await tx`delete from emailai_migration.linked_email_account`;
    await tx`delete from emailai_migration.backfill_checkpoint c using emailai_migration.backfill_passes() p
             where p.pass = c.pass and p.parallel`;
  });
  assert.not.equal(await everything(db.sql), oneJob);
  const r = await runner(db, ['backfill', '--jobs', '3', '--batch-size', '37', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await everything(db.sql), oneJob);
  const passes = JSON.parse(r.stdout).passes as { pass: string; rowsSeen: number; skipped: boolean }[];
  const counts = await db.sql`select p.pass, c.rows_done::int, c.finished from emailai_migration.backfill_passes() p join emailai_migration.backfill_checkpoint c using (pass) where p.parallel`;
  assert.is(counts.length, 5);
  for (const c of counts) {
    assert.ok(c.finished, `${c.pass} finished`);
    assert.is(c.rows_done, passes.find(p => p.pass === c.pass)!.rowsSeen, `${c.pass}: rows_done counts each row once`);
  }
});

s.test('migration_log shows the data phase in_progress then completed', async db => {
  const rows = await db.sql`select status, completed_at is not null as done from migration_log where migration_name = 'multi_tenant_data' order by id`;
  assert.ok(rows.length >= 1);
  assert.ok(rows.every(r => r.status === 'completed' && r.done));
});
s.run();

const early = dbSuite('backfill: before the schema phase', async db => {
  await loadFixture(db.sql, { users: 50, edgeCases: false });
});
early.test('is refused with exit 3 and a message naming the step to run first', async db => {
  const r = await runner(db, ['backfill']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /run `runner\.ts schema`/);
  const [t] = await db.sql`select to_regclass('public."Organization"') as t`;
  assert.is(t.t, null);
});
early.run();

const unmigrated = dbSuite('verify: before the migration', async db => {
  await loadFixture(db.sql, { users: 50, edgeCases: false });
});
unmigrated.test('a check that cannot run (its column does not exist yet) fails verify with the reason', async db => {
  const r = await runner(db, ['verify', '--json']);
  assert.is(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.passed, false);
  const byName = Object.fromEntries(doc.checks.map((c: { name: string }) => [c.name, c]));
  // (it reads the new column, and migration_log for the handover: whichever the server names first)
  assert.match(byName.email_accounts_without_organization.error, /organizationId|migration_log/);
  assert.is(byName.schema_objects_missing_or_different.passed, false);
  assert.ok(byName.schema_objects_missing_or_different.count > 40);
  assert.match(r.stderr, /could not run/);
});
unmigrated.run();
