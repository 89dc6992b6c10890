// Rule 3 as revised (issue 15): one premium, one organization. On the edge-case
// fixture: a premium several users hold gets one team organization (owner, members,
// seats, no inbox), a premium of one holder is linked to their home, every holder's
// default organization (the app's lookup: earliest membership by createdAt, no
// tie-breaker) is their personal one, and the app's own seat recount, simulated in
// SQL right after `up`, changes no premium's usedSeats.
import * as assert from 'uvu/assert';
import type { Sql } from 'postgres';
import { dbSuite, runner } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';

const SEVEN = ['edge_tab_name', 'edge_empty_name', 'edge_null_name', 'edge_blank_name', 'edge_john_a', 'edge_john_b', 'edge_symbols'];

async function team(sql: Sql, premiumId: string) {
  const orgs = await sql`select id, name, slug, "createdAt" from "Organization" where "premiumId" = ${premiumId}`;
  assert.is(orgs.length, 1, `${premiumId} is linked to exactly one organization`);
  const members = await sql`select "userId", role::text as role, "createdAt" from "OrganizationMember" where "organizationId" = ${orgs[0].id} order by "userId"`;
  return { org: orgs[0], members };
}

/** The app's default organization of a user: its earliest membership by createdAt; ties are the app's coin flip. */
async function defaultOrganizations(sql: Sql, userId: string): Promise<string[]> {
  const rows = await sql`
    select "organizationId" from "OrganizationMember"
    where "userId" = ${userId}
      and "createdAt" = (select min("createdAt") from "OrganizationMember" where "userId" = ${userId})`;
  return rows.map(r => r.organizationId as string);
}

const s = dbSuite('rule 3: team organizations on the edge-case fixture', async db => {
  await loadFixture(db.sql, { users: 600, edgeCases: true });
  const r = await runner(db, ['up', '--skip-preflight']);
  if (r.code !== 0) throw new Error('up failed: ' + r.stderr.slice(-4000));
});

s.test('a premium of 7 holders: one team organization, OWNER the admin who holds it, 6 MEMBERs, seats 7', async db => {
  const { org, members } = await team(db.sql, 'edge_premium_7');
  assert.is(org.id, 'mig_team_edge_premium_7');
  assert.is(org.name, "John A's Team");
  assert.match(org.slug, /^john-[a-z0-9]{6,}$/);
  assert.equal(members.map(m => m.userId).sort(), [...SEVEN].sort());
  assert.equal(members.filter(m => m.role === 'OWNER').map(m => m.userId), ['edge_john_a']);
  assert.is(members.filter(m => m.role === 'MEMBER').length, 6);
  const [p] = await db.sql`select "usedSeats", "maxSeats", "emailAccountsAccess" from "Premium" where id = 'edge_premium_7'`;
  assert.equal([p.usedSeats, p.maxSeats], [7, Math.max(p.emailAccountsAccess, 7)]);
  const [inboxes] = await db.sql`select count(*)::int as n from "EmailAccount" where "organizationId" = ${org.id}`;
  assert.is(inboxes.n, 0, 'no inbox in a team organization');
  const [reg] = await db.sql`select premium_id from emailai_migration.team_organization where organization_id = ${org.id}`;
  assert.is(reg.premium_id, 'edge_premium_7', 'the registry knows the team organization');
});

s.test('every holder keeps their inbox in their personal organization, which is their default organization', async db => {
  for (const u of SEVEN) {
    const [inbox] = await db.sql`select "organizationId" from "EmailAccount" where "userId" = ${u}`;
    assert.is(inbox.organizationId, `mig_org_${u}`, u);
    assert.equal(await defaultOrganizations(db.sql, u), [`mig_org_${u}`], `${u}: the earliest membership is the personal one, alone`);
  }
});

s.test('no user anywhere has a default organization tie or a team organization first', async db => {
  const [r] = await db.sql`
    with firsts as (
      select m."userId", m."organizationId", rank() over (partition by m."userId" order by m."createdAt") as rk
      from "OrganizationMember" m)
    select count(*) filter (where rk = 1 and "organizationId" like 'mig_team_%')::int as team_first,
           (select count(*)::int from (select "userId" from firsts where rk = 1 group by 1 having count(*) > 1) t) as ties
    from firsts`;
  assert.equal(r, { team_first: 0, ties: 0 });
});

s.test('an admin who holds another premium: no membership in the team, the earliest holder owns it', async db => {
  const { members } = await team(db.sql, 'edge_premium_admin_outside');
  assert.equal(members.map(m => m.userId).sort(), ['edge_long_local', 'edge_unicode']);
  assert.not.ok(members.some(m => m.userId === 'edge_sql_name'));
  const [first] = await db.sql`select id from "User" where "premiumId" = 'edge_premium_admin_outside' order by "createdAt", id limit 1`;
  assert.equal(members.filter(m => m.role === 'OWNER').map(m => m.userId), [first.id]);
  const [p] = await db.sql`select "usedSeats", "maxSeats" from "Premium" where id = 'edge_premium_admin_outside'`;
  assert.equal([p.usedSeats, p.maxSeats], [2, 2], 'one seat bought, two members: maxSeats never below usedSeats');
});

s.test('an admin who does not hold the premium is listed for billing review', async db => {
  const r = await runner(db, ['verify', '--json']);
  const doc = JSON.parse(r.stdout);
  const check = doc.checks.find((c: { name: string }) => c.name === 'premium_admins_not_holding_it');
  assert.ok(check, 'the check exists');
  assert.is(check.severity, 'warn');
  assert.ok(check.rows.some((row: { user_id: string; premium_id: string }) => row.user_id === 'edge_sql_name' && row.premium_id === 'edge_premium_admin_outside'), JSON.stringify(check.rows));
});

s.test('a premium of one holder is linked to their home organization; premiums with several to their team', async db => {
  const [r] = await db.sql`
    with holders as (select "premiumId" as premium_id, count(*)::int as n, min(id) as only_user
                     from "User" where "premiumId" is not null group by 1)
    select count(*) filter (where n = 1)::int as single,
           count(*) filter (where n = 1 and (select array_agg(o.id) from "Organization" o where o."premiumId" = h.premium_id) is distinct from array['mig_org_' || only_user])::int as single_wrong,
           count(*) filter (where n > 1)::int as teams,
           count(*) filter (where n > 1 and (select array_agg(o.id) from "Organization" o where o."premiumId" = h.premium_id) is distinct from array['mig_team_' || premium_id])::int as team_wrong
    from holders h`;
  assert.ok(r.single > 0 && r.teams > 3, JSON.stringify(r));
  assert.equal([r.single_wrong, r.team_wrong], [0, 0]);
});

s.test('the app\'s seat recount, simulated in SQL for every linked organization, changes no usedSeats', async db => {
  // updateOrganizationSeats: usedSeats := count of OrganizationMember of that organization.
  const before = await db.sql`select id, "usedSeats" from "Premium" order by id`;
  await db.sql`
    update "Premium" p set "usedSeats" = (select count(*)::int from "OrganizationMember" m where m."organizationId" = o.id)
    from "Organization" o where o."premiumId" = p.id`;
  const after = await db.sql`select id, "usedSeats" from "Premium" order by id`;
  const changed = after.filter((a, i) => a.usedSeats !== before[i].usedSeats).map((a, i) => `${a.id}: ${before[i].usedSeats} -> ${a.usedSeats}`);
  assert.equal(changed, []);
});

s.test('verify passes: only the fixture\'s warnings', async db => {
  const r = await runner(db, ['verify', '--json']);
  assert.is(r.code, 0, r.stderr.slice(-3000));
});

s.test('a second backfill from scratch changes nothing', async db => {
  const snap = async () => (await db.sql`
    select (select md5(string_agg(to_jsonb(o)::text, ',' order by id)) from "Organization" o) as o,
           (select md5(string_agg(to_jsonb(m)::text, ',' order by id)) from "OrganizationMember" m) as m,
           (select md5(string_agg(to_jsonb(p)::text, ',' order by id)) from "Premium" p) as p`)[0];
  const first = await snap();
  const r = await runner(db, ['backfill', '--restart', '--batch-size', '50']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await snap(), first);
});
s.run();
