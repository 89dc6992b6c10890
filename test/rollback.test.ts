// runner.ts rollback: the round trip to the original database, what it keeps of the
// new app's writes, --force, --dry-run, --organization-id, the usage rule.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { dbSuite, leyCli, packageLeftovers, PACKAGE_DIR, runner, type TestDatabase } from './helpers.ts';
import { catalogSnapshot, tableChecksums } from './snapshot.ts';
import { loadFixture } from './fixtures/fixtures.ts';

const PRE_EXISTING = ['Premium', 'User', 'Account', 'EmailAccount', 'Rule', 'Group', 'Knowledge', 'Category', '_prisma_migrations'];

async function ok(db: TestDatabase, args: string[]) {
  const r = await runner(db, args);
  assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}
const count = async (db: TestDatabase, table: string) =>
  Number((await db.sql`select count(*)::int as n from ${db.sql(table)}`)[0].n);

// ---------------------------------------------------------------- round trip
// With the app's Prisma history recorded (--prisma-migrations): the way back must take
// the package's "_prisma_migrations" rows too, and leave nothing of the package but
// migration_log — after `rollback --schema` and after `ley down --all` alike.
const PRISMA_DIR = join(PACKAGE_DIR, 'test/fixtures/prisma-migrations');
let catalogBefore: string[] = [];
let contentBefore: Record<string, string> = {};
let prismaBefore: unknown[] = [];
const prismaRows = (db: TestDatabase) => db.sql`select * from "_prisma_migrations" order by id`;
async function assertAsBefore(db: TestDatabase, after: string) {
  assert.equal(await catalogSnapshot(db.sql), catalogBefore, `${after}: the catalog`);
  assert.equal([...await prismaRows(db)], prismaBefore, `${after}: "_prisma_migrations"`);
  assert.equal(await tableChecksums(db.sql, { tables: PRE_EXISTING }), contentBefore, `${after}: the pre-existing tables`);
  assert.equal(await packageLeftovers(db.sql, PRE_EXISTING), [], `${after}: nothing of the package but migration_log`);
  const [{ n }] = await db.sql`select count(*)::int as n from migration_log`;
  assert.ok(n > 0, `${after}: migration_log stays`);
}
const round = dbSuite('rollback round trip', async db => {
  await loadFixture(db.sql, { users: 1000 });
  await db.sql`insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
               values ('app-earlier-1', repeat('b', 64), now(), '20250101000000_earlier_app_migration', 1)`;
  catalogBefore = await catalogSnapshot(db.sql);
  contentBefore = await tableChecksums(db.sql, { tables: PRE_EXISTING });
  prismaBefore = [...await prismaRows(db)];
  await ok(db, ['up', '--skip-preflight', '--prisma-migrations', PRISMA_DIR]);
});

round.test('up --prisma-migrations then rollback --schema: same schema, rows, "_prisma_migrations"; nothing of the package but migration_log', async db => {
  assert.is.not((await catalogSnapshot(db.sql)).join('\n'), catalogBefore.join('\n'), 'up changed the schema');
  assert.is((await prismaRows(db)).length, prismaBefore.length + 2, 'up recorded the two app migrations');
  await ok(db, ['rollback', '--schema']);
  await assertAsBefore(db, 'rollback --schema');
});

round.test('rollback --schema again is a no-op, and up after it migrates again', async db => {
  await ok(db, ['rollback', '--schema']);
  await assertAsBefore(db, 'a second rollback --schema');
  const up = await runner(db, ['up', '--skip-preflight', '--prisma-migrations', PRISMA_DIR]);
  assert.is(up.code, 0, up.stderr);
  assert.is((await prismaRows(db)).length, prismaBefore.length + 2);
});

round.test('ley down --all (the DBA\'s way back, no data rollback first) gives back the same', async db => {
  const r = await leyCli(db, ['down', '--all']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  await assertAsBefore(db, 'ley down --all');
  const again = await leyCli(db, ['down', '--all']);
  assert.is(again.code, 0, again.stdout + again.stderr);
  await assertAsBefore(db, 'a second ley down --all');
});

round.run();

// ---------------------------------------------------------------- the new app's writes
async function simulateNewApp(sql: TestDatabase['sql']) {
  // Users with one inbox: A creates a team organization, invites B, moves an inbox into it.
  const [a, b, c] = await sql`
    select u.id, min(ea.id) as inbox from "User" u join "EmailAccount" ea on ea."userId" = u.id
    where u.id not like 'edge_%' group by u.id having count(*) = 1 order by u.id limit 3`;
  await sql`insert into "Organization" (id, "createdAt", "updatedAt", name, slug) values ('app_org_team', now(), now(), 'Team', 'team')`;
  await sql`insert into "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
            values ('app_mem_owner', now(), now(), 'OWNER', ${a.id}, 'app_org_team'),
                   ('app_mem_invited', now(), now(), 'MEMBER', ${b.id}, 'app_org_team')`;
  await sql`update "EmailAccount" set "organizationId" = 'app_org_team' where id = ${a.inbox}`;
  // C invites B into C's personal organization (the one the migration created).
  await sql`insert into "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
            values ('app_mem_in_personal', now(), now(), 'MEMBER', ${b.id}, emailai_migration.personal_organization_id(${c.id}))`;
  // A new user signs up: the new app writes user, organization and membership at once.
  await sql`
    with u as (insert into "User" (id, "createdAt", "updatedAt", email, name) values ('app_user_new', now(), now(), 'new@app.test', 'New') returning id),
         o as (insert into "Organization" (id, "createdAt", "updatedAt", name, slug) values ('app_org_signup', now(), now(), 'New''s Organization', 'new-signup') returning id)
    insert into "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
    select 'app_mem_signup', now(), now(), 'OWNER', u.id, o.id from u, o`;
  return { a, b, c };
}

const app = dbSuite('rollback and the new app', async db => {
  await loadFixture(db.sql, { users: 600 });
  await ok(db, ['up', '--skip-preflight']);
  await simulateNewApp(db.sql);
});

app.test('exactly one level is required (exit 2)', async db => {
  assert.is((await runner(db, ['rollback'])).code, 2);
  assert.is((await runner(db, ['rollback', '--orgs', '--keep-orgs'])).code, 2);
});

app.test('--dry-run reports what would change and changes nothing', async db => {
  const before = await tableChecksums(db.sql);
  const r = await ok(db, ['rollback', '--orgs', '--dry-run', '--json']);
  const doc = JSON.parse(r.stdout);
  const row = (item: string) => doc.plan.find((p: { item: string }) => p.item === item);
  const [{ linked }] = await db.sql`select count(*)::int as linked from emailai_migration.linked_email_account l
    join "EmailAccount" ea on ea.id = l.email_account_id and ea."organizationId" = l.organization_id`;
  assert.is(row('inboxes linked by the migration').rows, linked);
  assert.is(row('organizations the new app created').action, 'keep');
  assert.is(row('organizations the new app created').rows, 2);
  assert.equal(await tableChecksums(db.sql), before);
});

app.test('rollback --schema refuses (exit 3, nothing changed) while the new app has data', async db => {
  const before = await tableChecksums(db.sql);
  const r = await runner(db, ['rollback', '--schema']);
  assert.is(r.code, 3, r.stderr);
  assert.equal(await tableChecksums(db.sql), before);
});

app.test('rollback --orgs keeps and reports the new app\'s organizations, members and moved inbox; no inbox is deleted', async db => {
  const inboxes = await count(db, 'EmailAccount');
  const r = await ok(db, ['rollback', '--orgs', '--json']);
  const doc = JSON.parse(r.stdout);
  const kept = Object.fromEntries(doc.kept.map((k: { item: string; rows: number }) => [k.item, k.rows]));
  assert.is(kept['organizations the new app created'], 2);
  assert.is(kept['organizations the migration created, since changed by the new app (columns, premium, members or inboxes)'], 1);
  assert.is(kept['inboxes the new app moved to another organization'], 1);
  assert.is(await count(db, 'EmailAccount'), inboxes);
  const orgs = (await db.sql`select id from "Organization" order by id`).map(o => o.id);
  assert.is(orgs.length, 3);
  assert.ok(orgs.includes('app_org_team') && orgs.includes('app_org_signup'));
  const [{ linked }] = await db.sql`select count(*)::int as linked from "EmailAccount" where "organizationId" is not null`;
  assert.is(linked, 1, 'only the inbox the new app moved stays linked');
  assert.is(await count(db, 'OrganizationMember'), 5);
  const [{ premium }] = await db.sql`select count(*)::int as premium from "Organization" where "premiumId" is not null`;
  assert.is(premium, 0);
  const [{ seats }] = await db.sql`select count(*)::int as seats from "Premium" where "usedSeats" <> 1 or "maxSeats" is not null`;
  assert.is(seats, 0, 'premiums linked to no organization get the defaults back');
});

app.test('rollback --orgs again changes nothing', async db => {
  const before = await tableChecksums(db.sql);
  await ok(db, ['rollback', '--orgs']);
  assert.equal(await tableChecksums(db.sql), before);
});

app.test('rollback --orgs --force removes the new app\'s organizations after unlinking their inboxes', async db => {
  const inboxes = await count(db, 'EmailAccount');
  await ok(db, ['rollback', '--orgs', '--force']);
  assert.is(await count(db, 'EmailAccount'), inboxes);
  assert.is(await count(db, 'Organization'), 0);
  assert.is(await count(db, 'OrganizationMember'), 0);
  const [{ linked }] = await db.sql`select count(*)::int as linked from "EmailAccount" where "organizationId" is not null`;
  assert.is(linked, 0);
  await ok(db, ['rollback', '--schema']);
});

app.run();

// ---------------------------------------------------------------- one organization
const one = dbSuite('rollback --organization-id', async db => {
  await loadFixture(db.sql, { users: 300 });
  await ok(db, ['up', '--skip-preflight']);
});

one.test('--organization-id undoes that organization only', async db => {
  const [target] = await db.sql`
    select o.id from "Organization" o join "EmailAccount" ea on ea."organizationId" = o.id
    where o."premiumId" is not null group by o.id having count(*) >= 1 order by o.id limit 1`;
  const othersBefore = await db.sql`
    select ea.id, ea."organizationId" from "EmailAccount" ea where ea."organizationId" <> ${target.id} order by ea.id`;
  const orgsBefore = await count(db, 'Organization');
  await ok(db, ['rollback', '--orgs', '--organization-id', target.id]);
  assert.is(await count(db, 'Organization'), orgsBefore - 1);
  const [{ n }] = await db.sql`select count(*)::int as n from "EmailAccount" where "organizationId" = ${target.id}`;
  assert.is(n, 0);
  const othersAfter = await db.sql`
    select ea.id, ea."organizationId" from "EmailAccount" ea where ea."organizationId" is not null order by ea.id`;
  assert.equal([...othersAfter], [...othersBefore]);
  const r = await runner(db, ['rollback', '--orgs', '--organization-id', target.id]);
  assert.is(r.code, 3, 'a second run names an organization that no longer exists');
});

one.run();

// ---------------------------------------------------------------- the migration's organizations, changed by the new app
// The new app renames one of the migration's organizations, gives another a domain and
// a logo, removes the premium the migration linked to a third, renames a team
// organization (rule 3): each is the new app's now, reported and kept unless --force,
// in --dry-run and the real run alike, and with --organization-id.
const CHANGED_ITEM = 'organizations the migration created, since changed by the new app (columns, premium, members or inboxes)';
const changed: Record<'renamed' | 'branded' | 'unlinked' | 'team', string> = { renamed: '', branded: '', unlinked: '', team: '' };
const edited = dbSuite('rollback and the migration\'s organizations the new app changed', async db => {
  await loadFixture(db.sql, { users: 300 });
  await ok(db, ['up', '--skip-preflight']);
  const [withPremium] = await db.sql`
    select c.organization_id as id from emailai_migration.created_organization c
    join "Organization" o on o.id = c.organization_id
    join emailai_migration.linked_premium l on l.organization_id = o.id and l.premium_id = o."premiumId"
    where c.user_id not like 'edge_%' order by 1 limit 1`;
  const [a, b] = await db.sql`
    select c.organization_id as id from emailai_migration.created_organization c
    join "Organization" o on o.id = c.organization_id
    where c.user_id not like 'edge_%' and o."premiumId" is null order by 1 limit 2`;
  const [team] = await db.sql`select organization_id as id from emailai_migration.team_organization order by 1 limit 1`;
  changed.renamed = a.id; changed.branded = b.id; changed.unlinked = withPremium.id; changed.team = team.id;
  await db.sql`update "Organization" set name = 'Sales team', "updatedAt" = now() where id = ${team.id}`;
  await db.sql`update "Organization" set name = 'Renamed by the app', "updatedAt" = now() where id = ${a.id}`;
  await db.sql`update "Organization" set domain = 'acme.test', "logoUrl" = 'https://acme.test/logo.png', "updatedAt" = now() where id = ${b.id}`;
  await db.sql`update "Organization" set "premiumId" = null, "updatedAt" = now() where id = ${withPremium.id}`;
});

edited.test('--dry-run reports them under "keep", not "delete", and names each with what changed', async db => {
  const before = await tableChecksums(db.sql);
  const doc = JSON.parse((await ok(db, ['rollback', '--orgs', '--dry-run', '--json'])).stdout);
  const row = doc.plan.find((p: { item: string }) => p.item === CHANGED_ITEM);
  assert.equal({ action: row.action, rows: row.rows }, { action: 'keep', rows: 4 });
  const kept = Object.fromEntries(doc.keptOrganizations.map((k: { organizationId: string; changes: string[] }) => [k.organizationId, k.changes]));
  assert.equal(kept, { [changed.renamed]: ['columns'], [changed.branded]: ['columns'], [changed.unlinked]: ['premium removed'], [changed.team]: ['columns'] });
  // Personal and team organizations (rule 3) alike are the migration's.
  const [{ ours }] = await db.sql`select ((select count(*) from emailai_migration.created_organization)
                                        + (select count(*) from emailai_migration.team_organization))::int as ours`;
  assert.is(doc.plan.find((p: { item: string }) => p.item === 'organizations the migration created').rows, ours - 4);
  assert.equal(await tableChecksums(db.sql), before);
});

edited.test('rollback --schema refuses (exit 3, nothing changed) while they exist', async db => {
  const before = await tableChecksums(db.sql);
  const r = await runner(db, ['rollback', '--schema']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(changed.renamed));
  assert.equal(await tableChecksums(db.sql), before);
});

edited.test('rollback --orgs --organization-id keeps a renamed organization without --force', async db => {
  const r = await ok(db, ['rollback', '--orgs', '--organization-id', changed.renamed, '--json']);
  assert.is(JSON.parse(r.stdout).kept.find((k: { item: string }) => k.item === CHANGED_ITEM)?.rows, 1);
  const [org] = await db.sql`select name from "Organization" where id = ${changed.renamed}`;
  assert.is(org?.name, 'Renamed by the app');
});

edited.test('rollback --orgs keeps the four, deletes every other organization of the migration', async db => {
  await ok(db, ['rollback', '--orgs']);
  const left = (await db.sql`select id, name, domain, "logoUrl" as logo from "Organization" order by id`).map(o => o.id);
  assert.equal(left, Object.values(changed).sort());
  const [b] = await db.sql`select domain, "logoUrl" as logo from "Organization" where id = ${changed.branded}`;
  assert.equal({ ...b }, { domain: 'acme.test', logo: 'https://acme.test/logo.png' });
  const [{ n }] = await db.sql`select count(*)::int as n from "OrganizationMember" where "organizationId" = ${changed.renamed}`;
  assert.is(n, 1, 'its OWNER membership stays with it');
});

edited.test('--force deletes them too', async db => {
  await ok(db, ['rollback', '--orgs', '--organization-id', changed.renamed, '--force']);
  const [{ n }] = await db.sql`select count(*)::int as n from "Organization" where id = ${changed.renamed}`;
  assert.is(n, 0);
});

edited.test('ley down --all refuses while they exist, before it drops anything', async db => {
  const catalog = await catalogSnapshot(db.sql);
  const r = await leyCli(db, ['down', '--all']);
  assert.is.not(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /3 organization\(s\) of the migration it edited; nothing was dropped/);
  assert.equal(await catalogSnapshot(db.sql), catalog);
  const [{ n }] = await db.sql`select count(*)::int as n from "Organization"`;
  assert.is(n, 3);
});


edited.run();

// ---------------------------------------------------------------- guards: lock, then count, then drop
// A write in flight while a guard of rollback/111-113 runs, committed while the guard
// waits: the guard must see it (it takes its lock before it counts) and refuse, not
// drop it with the table. Each file is run as runStep runs it (one transaction,
// lock_timeout), with a lock_timeout long enough for the writer to commit meanwhile.
const guardFile = (name: string) => readFileSync(join(PACKAGE_DIR, 'rollback', name), 'utf8');
async function runGuard(db: TestDatabase, name: string): Promise<void> {
  await db.sql.begin(async tx => {
    await tx`select set_config('lock_timeout', '20000ms', true)`;
    await tx.unsafe(guardFile(name));
  });
}
/** Runs `name` while `write` is in flight in another transaction, committed once the guard waits for a lock. */
async function raceGuard(db: TestDatabase, name: string, write: (w: TestDatabase['sql']) => Promise<unknown>) {
  const writer = await db.sql.reserve();
  try {
    await writer`begin`;
    await write(writer as unknown as TestDatabase['sql']);
    const guard = runGuard(db, name).then(() => null, (err: Error) => err);
    for (let i = 0; ; i++) {
      const [{ waiting }] = await db.sql`select count(*)::int as waiting from pg_locks where not granted`;
      if (waiting > 0) break;
      if (i > 200) throw new Error(`${name} never waited for the writer`);
      await new Promise(r => setTimeout(r, 25));
    }
    await writer`commit`;
    return await guard;
  } finally {
    writer.release();
  }
}
const columnExists = async (db: TestDatabase, table: string, column: string) =>
  (await db.sql`select count(*)::int as n from pg_attribute where attrelid = ${`"${table}"`}::regclass and attname = ${column} and not attisdropped`)[0].n === 1;
const tableExists = async (db: TestDatabase, table: string) =>
  (await db.sql`select to_regclass(${`public."${table}"`}) is not null as e`)[0].e as boolean;

const guards = dbSuite('rollback guards against a write committed while they wait', async db => {
  await loadFixture(db.sql, { users: 100 });
  await ok(db, ['up', '--skip-preflight']);
});

guards.test('rollback/113: an inbox the new app moves meanwhile keeps "EmailAccount"."organizationId"', async db => {
  const [inbox, other] = await db.sql`select id, "organizationId" as org from "EmailAccount" where "organizationId" is not null order by id limit 2`;
  const err = await raceGuard(db, '113_add_email_account_organization_id.sql',
    w => w`update "EmailAccount" set "organizationId" = ${other.org} where id = ${inbox.id}`);
  assert.ok(err, 'the guard refused');
  assert.match(String(err), /refusing to drop "EmailAccount"."organizationId"/);
  assert.ok(await columnExists(db, 'EmailAccount', 'organizationId'));
  const [{ org }] = await db.sql`select "organizationId" as org from "EmailAccount" where id = ${inbox.id}`;
  assert.is(org, other.org, 'the new app\'s link is kept');
  await db.sql`update "EmailAccount" set "organizationId" = ${inbox.org} where id = ${inbox.id}`;
  await runGuard(db, '113_add_email_account_organization_id.sql');
  await runGuard(db, '114_add_premium_seat_columns.sql');
  assert.not.ok(await columnExists(db, 'EmailAccount', 'organizationId'), 'without the write it drops the column');
});

guards.test('rollback/112: a member the new app invites meanwhile keeps "OrganizationMember"', async db => {
  const [{ org }] = await db.sql`select min(organization_id) as org from emailai_migration.created_organization`;
  const [{ user }] = await db.sql`select max(id) as user from "User"`;
  const err = await raceGuard(db, '112_create_organization_member_table.sql',
    w => w`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId") values ('race_member', now(), 'MEMBER', ${user}, ${org})`);
  assert.ok(err, 'the guard refused');
  assert.ok(await tableExists(db, 'OrganizationMember'));
  assert.is((await db.sql`select 1 from "OrganizationMember" where id = 'race_member'`).length, 1);
  await db.sql`delete from "OrganizationMember" where id = 'race_member'`;
  await runGuard(db, '112_create_organization_member_table.sql');
  assert.not.ok(await tableExists(db, 'OrganizationMember'));
});

guards.test('rollback/111: an organization the new app creates meanwhile keeps "Organization"', async db => {
  const err = await raceGuard(db, '111_create_organization_table.sql',
    w => w`insert into "Organization" (id, "updatedAt", name, slug) values ('race_org', now(), 'Race', 'race')`);
  assert.ok(err, 'the guard refused');
  assert.ok(await tableExists(db, 'Organization'));
  assert.is((await db.sql`select 1 from "Organization" where id = 'race_org'`).length, 1);
  await db.sql`delete from "Organization" where id = 'race_org'`;
  await runGuard(db, '111_create_organization_table.sql');
  assert.not.ok(await tableExists(db, 'Organization'));
});

guards.run();

// ---------------------------------------------------------------- race: the new app writes while rollback --schema runs
// A loop writes organizations with their OWNER membership, one transaction each, while
// `rollback --schema` runs: either the rollback refuses (exit 3) and drops nothing, or
// every row the loop committed is still there.
async function raceRollback(db: TestDatabase, startLoop: 'before' | 'after-plan') {
  const catalog = await catalogSnapshot(db.sql);
  const [{ user }] = await db.sql`select min(id) as user from "User"`;
  const committed: string[] = [];
  let stop = false;
  const writer = postgres(db.url, { max: 1, onnotice: () => {} });
  const loop = async () => {
    for (let i = 0; !stop; i++) {
      const id = `race_${startLoop}_${i}`;
      try {
        await writer.begin(async tx => {
          await tx`insert into "Organization" (id, "updatedAt", name, slug) values (${id}, now(), ${id}, ${id.replace(/_/g, '-')})`;
          await tx`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId") values (${id}, now(), 'OWNER', ${user}, ${id})`;
        });
        committed.push(id);
      } catch { /* the table is locked past the writer's patience, or gone */ }
      await new Promise(r => setTimeout(r, 5));
    }
  };
  let looping: Promise<void> | undefined;
  if (startLoop === 'before') {
    looping = loop();
    while (!committed.length) await new Promise(r => setTimeout(r, 5));
  }
  const rollback = runner(db, ['rollback', '--schema']);
  if (startLoop === 'after-plan') {
    rollback.child.stderr!.on('data', d => { if (!looping && String(d).includes('plan:')) looping = loop(); });
  }
  const r = await rollback;
  stop = true;
  await looping;
  await writer.end();
  if (r.code === 3) {
    assert.equal(await catalogSnapshot(db.sql), catalog, `refused, so nothing is dropped: ${r.stderr}`);
  }
  if (committed.length) {
    assert.ok(await tableExists(db, 'Organization'), `the loop committed ${committed.length} organization(s); exit ${r.code}: ${r.stderr}`);
    const kept = (await db.sql`select id from "Organization" where id = any(${committed})`).map(o => o.id);
    assert.is(kept.length, committed.length, `every organization the loop committed is kept (exit ${r.code})`);
    const members = await db.sql`select id from "OrganizationMember" where id = any(${committed})`;
    assert.is(members.length, committed.length, 'and every membership');
  }
  return { code: r.code, committed: committed.length };
}

const race = dbSuite('rollback --schema while the new app writes', async db => {
  await loadFixture(db.sql, { users: 200 });
  await ok(db, ['up', '--skip-preflight']);
});

race.test('the loop runs before and during the rollback', async db => {
  const { code } = await raceRollback(db, 'before');
  assert.is(code, 3);
  await db.sql`delete from "Organization" where id like 'race\\_%'`;
});

race.test('the loop starts once the rollback has planned', async db => {
  const { code, committed } = await raceRollback(db, 'after-plan');
  assert.ok(code === 3 || code === 1 || (code === 0 && committed === 0), `exit ${code}, ${committed} committed`);
});

race.run();

// ---------------------------------------------------------------- what the new app shared ("isShared")
// The columns of migrations/0002 go with --schema; a resource the new app shared
// (the migration never sets "isShared") must not go with them unless --force.
const sharedSuite = dbSuite('rollback --schema and resources the new app shared', async db => {
  await loadFixture(db.sql, { users: 100 });
  await ok(db, ['up', '--skip-preflight']);
});

sharedSuite.test('rollback --schema refuses (exit 3, nothing changed); ley down --all refuses before it drops anything', async db => {
  const [rule] = await db.sql`select id from "Rule" order by id limit 1`;
  await db.sql`update "Rule" set "isShared" = true where id = ${rule.id}`;
  const before = await tableChecksums(db.sql);
  const catalog = await catalogSnapshot(db.sql);
  const r = await runner(db, ['rollback', '--schema']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /1 Rule row\(s\)/);
  assert.equal(await tableChecksums(db.sql), before);
  const l = await leyCli(db, ['down', '--all']);
  assert.is.not(l.code, 0, l.stdout + l.stderr);
  assert.match(l.stdout + l.stderr, /"isShared" = true in Rule\); nothing was dropped/);
  assert.equal(await catalogSnapshot(db.sql), catalog);
  await db.sql`update "Rule" set "isShared" = false where id = ${rule.id}`;
});

sharedSuite.test('rollback/210: a rule the new app shares meanwhile keeps "Rule"."isShared"', async db => {
  const [rule] = await db.sql`select id from "Rule" order by id limit 1`;
  const err = await raceGuard(db, '210_add_rule_created_by_and_is_shared.sql',
    w => w`update "Rule" set "isShared" = true where id = ${rule.id}`);
  assert.ok(err, 'the guard refused');
  assert.ok(await columnExists(db, 'Rule', 'isShared'));
  await db.sql`update "Rule" set "isShared" = false where id = ${rule.id}`;
  await ok(db, ['rollback', '--schema']);
  assert.not.ok(await columnExists(db, 'Rule', 'isShared'));
});

sharedSuite.run();
