// runner.ts repair: --user restores one broken user, --seats fixes seats broken by
// hand, --dry-run changes nothing, and neither changes a healthy database.
import * as assert from 'uvu/assert';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { tableChecksums } from './snapshot.ts';
import { loadFixture } from './fixtures/fixtures.ts';

async function ok(db: TestDatabase, args: string[]) {
  const r = await runner(db, args);
  assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}
const failingChecks = async (db: TestDatabase) => {
  const r = await runner(db, ['verify', '--json']);
  return { code: r.code, out: r.stdout + r.stderr };
};

const s = dbSuite('repair', async db => {
  await loadFixture(db.sql, { users: 500 });
  await ok(db, ['up', '--skip-preflight']);
});

s.test('repair --user and repair --seats change nothing on a healthy database', async db => {
  const before = await tableChecksums(db.sql);
  await ok(db, ['repair', '--user', 'edge_four_inboxes']);
  await ok(db, ['repair', '--user', 'john@a.edge.test']);
  await ok(db, ['repair', '--seats', '--batch-size', '7']);
  assert.equal(await tableChecksums(db.sql), before);
});

s.test('repair --user restores a user whose organization was deleted by hand (inboxes unlinked first), and only that user', async db => {
  const user = 'edge_four_inboxes';
  const [{ org }] = await db.sql`select emailai_migration.home_organization(${user}) as org`;
  // The realistic breakage: someone unlinked the inboxes (the FK cascade would delete
  // them otherwise) and deleted the organization.
  await db.sql`update "EmailAccount" set "organizationId" = null where "organizationId" = ${org}`;
  await db.sql`delete from "Organization" where id = ${org}`;
  assert.is.not((await failingChecks(db)).code, 0, 'verify sees the breakage');
  const othersBefore = await db.sql`
    select ea.id, ea."organizationId" from "EmailAccount" ea where ea."userId" <> ${user} order by ea.id`;
  const orgsBefore = await db.sql`select id from "Organization" order by id`;

  const dry = await ok(db, ['repair', '--user', user, '--dry-run', '--json']);
  assert.is(JSON.parse(dry.stdout).user.inboxesRelinked, 4);
  const [{ n }] = await db.sql`select count(*)::int as n from "EmailAccount" where "userId" = ${user} and "organizationId" is not null`;
  assert.is(n, 0, '--dry-run changed nothing');

  const r = await ok(db, ['repair', '--user', 'four.inboxes@edge.test', '--json']);
  const doc = JSON.parse(r.stdout).user;
  assert.is(doc.organizationsCreated, 1);
  assert.is(doc.inboxesRelinked, 4);
  const [{ home }] = await db.sql`select emailai_migration.home_organization(${user}) as home`;
  const [{ linked }] = await db.sql`select count(*)::int as linked from "EmailAccount" where "userId" = ${user} and "organizationId" = ${home}`;
  assert.is(linked, 4);
  const [{ by }] = await db.sql`select created_by as by from emailai_migration.created_organization where user_id = ${user}`;
  assert.is(by, 'repair');
  const othersAfter = await db.sql`
    select ea.id, ea."organizationId" from "EmailAccount" ea where ea."userId" <> ${user} order by ea.id`;
  assert.equal([...othersAfter], [...othersBefore]);
  const orgsAfter = await db.sql`select id from "Organization" where id <> ${home} order by id`;
  assert.equal([...orgsAfter], [...orgsBefore]);
  const v = await failingChecks(db);
  assert.is(v.code, 0, v.out);
});

s.test('repair --user restores a deleted OWNER membership, and moves an inbox out of an organization its owner does not own', async db => {
  const [u, v] = await db.sql`
    select c.user_id, c.organization_id from emailai_migration.created_organization c
    join "Organization" o on o.id = c.organization_id
    where exists (select 1 from "EmailAccount" ea where ea."organizationId" = o.id) and c.user_id not like 'edge_%'
    order by o."premiumId" is null, c.user_id limit 2`;
  // Breakages by hand: U's OWNER membership deleted; one of V's inboxes put into U's organization.
  await db.sql`delete from "OrganizationMember" where "userId" = ${u.user_id} and "organizationId" = ${u.organization_id}`;
  const [moved] = await db.sql`
    update "EmailAccount" set "organizationId" = ${u.organization_id}
    where id = (select min(id) from "EmailAccount" where "userId" = ${v.user_id}) returning id`;
  assert.is.not((await failingChecks(db)).code, 0);

  const ru = JSON.parse((await ok(db, ['repair', '--user', u.user_id, '--json'])).stdout).user;
  assert.is(ru.ownershipRestored, 1);
  assert.is(ru.organizationsCreated, 0, 'the personal organization still exists: no second one');
  const rv = JSON.parse((await ok(db, ['repair', '--user', v.user_id, '--json'])).stdout).user;
  assert.is(rv.inboxesRelinked, 1);
  const [{ org }] = await db.sql`select "organizationId" as org from "EmailAccount" where id = ${moved.id}`;
  assert.is(org, v.organization_id);
  const check = await failingChecks(db);
  assert.is(check.code, 0, check.out);
});

s.test('repair --seats fixes seats broken by hand, batch by batch', async db => {
  await ok(db, ['repair', '--seats']);
  const before = await tableChecksums(db.sql, { tables: ['Premium'] });
  const broken = await db.sql`
    update "Premium" set "usedSeats" = "usedSeats" + 5, "maxSeats" = 0
    where id in (select "premiumId" from "Organization" where "premiumId" is not null order by "premiumId" limit 10)
    returning id`;
  assert.ok(broken.length > 0);
  const dry = await ok(db, ['repair', '--seats', '--dry-run', '--json']);
  assert.is(JSON.parse(dry.stdout).seats.changed, broken.length);
  const r = await ok(db, ['repair', '--seats', '--batch-size', '3', '--json']);
  assert.is(JSON.parse(r.stdout).seats.changed, broken.length);
  assert.equal(await tableChecksums(db.sql, { tables: ['Premium'] }), before);
});

s.test('repair needs exactly one of --user, --seats (exit 2); an unknown user is refused (exit 3)', async db => {
  assert.is((await runner(db, ['repair'])).code, 2);
  assert.is((await runner(db, ['repair', '--seats', '--user', 'x'])).code, 2);
  assert.is((await runner(db, ['repair', '--user', 'nobody@nowhere.test'])).code, 3);
});

s.run();

// ---------------------------------------------------------------- never OWNER of what is not theirs (SPEC "Repair")
const owned = dbSuite('repair --user and organizations somebody else owns or the new app changed', async db => {
  await loadFixture(db.sql, { users: 300 });
  await ok(db, ['up', '--skip-preflight']);
});

/** Users with exactly one inbox, in their personal organization, and no other membership. */
const plainUsers = (db: TestDatabase, n: number) => db.sql`
  select u.id, min(ea.id) as inbox, min(ea."organizationId") as org from "User" u
  join "EmailAccount" ea on ea."userId" = u.id
  where u.id not like 'edge_%' and u."premiumId" is null
  group by u.id having count(*) = 1 and (select count(*) from "OrganizationMember" m where m."userId" = u.id) = 1
  order by u.id limit ${n}`;

owned.test('Alice made Bob OWNER of her personal organization and left: repair gives Alice a fresh one, not Bob\'s', async db => {
  const [alice, bob] = await plainUsers(db, 2);
  await db.sql`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId")
               values ('app_mem_bob_owner', now(), 'OWNER', ${bob.id}, ${alice.org})`;
  await db.sql`delete from "OrganizationMember" where "userId" = ${alice.id} and "organizationId" = ${alice.org}`;
  const r = JSON.parse((await ok(db, ['repair', '--user', alice.id, '--json'])).stdout).user;
  assert.is(r.ownershipRestored, 0);
  assert.is(r.organizationsCreated, 1);
  const inOld = await db.sql`select role from "OrganizationMember" where "userId" = ${alice.id} and "organizationId" = ${alice.org}`;
  assert.is(inOld.length, 0, 'Alice is not made a member, let alone OWNER, of Bob\'s organization');
  const [{ home }] = await db.sql`select emailai_migration.home_organization(${alice.id}) as home`;
  assert.ok(home && home !== alice.org);
  const [{ org }] = await db.sql`select "organizationId" as org from "EmailAccount" where id = ${alice.inbox}`;
  assert.is(org, home, 'her inbox goes with her, out of Bob\'s organization');
  const owners = await db.sql`select "userId" from "OrganizationMember" where "organizationId" = ${alice.org} and role = 'OWNER'`;
  assert.equal(owners.map(o => o.userId), [bob.id]);
  const again = JSON.parse((await ok(db, ['repair', '--user', alice.id, '--json'])).stdout).user;
  assert.equal([again.ownershipRestored, again.organizationsCreated, again.inboxesRelinked], [0, 0, 0], 'idempotent');
  const v = await runner(db, ['verify', '--json']);
  assert.is(v.code, 0, v.stdout);
});

owned.test('an organization the new app renamed is not given back: a fresh one instead', async db => {
  const [, , carol] = await plainUsers(db, 3);
  await db.sql`update "Organization" set name = 'Carol & Co', "updatedAt" = now() where id = ${carol.org}`;
  await db.sql`delete from "OrganizationMember" where "userId" = ${carol.id}`;
  const r = JSON.parse((await ok(db, ['repair', '--user', carol.id, '--json'])).stdout).user;
  assert.equal([r.ownershipRestored, r.organizationsCreated], [0, 1]);
  const inOld = await db.sql`select 1 from "OrganizationMember" where "userId" = ${carol.id} and "organizationId" = ${carol.org}`;
  assert.is(inOld.length, 0);
});

owned.test('an email matches exactly: JOHN<n>@c.com is not john<n>@c.com; a case-only match is refused naming the candidates', async db => {
  // The fixture holds both spellings ("User_email_key" is case-sensitive).
  const [pair] = await db.sql`
    select lo.id as lower_id, lo.email as lower_email, up.id as upper_id, up.email as upper_email
    from "User" lo join "User" up on lower(up.email) = lo.email and up.email <> lo.email
    where lo.email like 'john%@c.com' order by lo.id limit 1`;
  assert.ok(pair, 'the fixture has a john<n>@c.com / JOHN<n>@c.com pair');
  const r = JSON.parse((await ok(db, ['repair', '--user', pair.upper_email, '--json'])).stdout).user;
  assert.is(r.userId, pair.upper_id);
  const l = JSON.parse((await ok(db, ['repair', '--user', pair.lower_email, '--json'])).stdout).user;
  assert.is(l.userId, pair.lower_id);
  const before = await tableChecksums(db.sql);
  const mixed = 'J' + pair.lower_email.slice(1).replace('@c.com', '@C.com');
  const refused = await runner(db, ['repair', '--user', mixed]);
  assert.is(refused.code, 3, refused.stderr);
  assert.ok(refused.stderr.includes(`${pair.lower_id} <${pair.lower_email}>`) && refused.stderr.includes(`${pair.upper_id} <${pair.upper_email}>`), refused.stderr);
  const edge = await runner(db, ['repair', '--user', 'john@b.edge.test']);
  assert.is(edge.code, 3, 'JOHN@b.edge.test spelled otherwise: refused');
  assert.match(edge.stderr, /edge_john_b/);
  assert.equal(await tableChecksums(db.sql), before);
});

owned.test('an id that is also another user\'s email is refused naming both; --match settles it', async db => {
  await db.sql`insert into "User" (id, "updatedAt", email) values ('x@amb.test', now(), 'x-by-id@amb.test')`;
  await db.sql`insert into "User" (id, "updatedAt", email) values ('amb_by_email', now(), 'x@amb.test')`;
  const before = await tableChecksums(db.sql);
  const r = await runner(db, ['repair', '--user', 'x@amb.test']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /x@amb\.test <x-by-id@amb\.test>/);
  assert.match(r.stderr, /amb_by_email <x@amb\.test>/);
  assert.equal(await tableChecksums(db.sql), before);
  assert.is(JSON.parse((await ok(db, ['repair', '--user', 'x@amb.test', '--match', 'email', '--json'])).stdout).user.userId, 'amb_by_email');
  assert.is(JSON.parse((await ok(db, ['repair', '--user', 'x@amb.test', '--match', 'id', '--json'])).stdout).user.userId, 'x@amb.test');
  assert.is((await runner(db, ['repair', '--user', 'x@amb.test', '--match', 'name'])).code, 2);
});

owned.run();
