// Rule 3 as revised (issue 15): one premium, one organization. On the edge-case
// fixture: a premium several users hold gets one team organization (owner, members,
// seats, no inbox), a premium of one holder is linked to their home, every holder's
// default organization (the app's lookup: earliest membership by createdAt, no
// tie-breaker) is their personal one, and the app's own seat recount, simulated in
// SQL right after `up`, changes no premium's usedSeats.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

s.test('status and the report show the team organizations and that the handover is still to come', async db => {
  const st = JSON.parse((await runner(db, ['status', '--json'])).stdout);
  const [teams] = await db.sql`select count(*)::int as n from emailai_migration.team_organization`;
  assert.is(st.counts.teamOrganizations, teams.n);
  assert.is(st.handover.handedOverAt, null);
  const file = join(mkdtempSync(join(tmpdir(), 'emailai-report-')), 'report.md');
  const r = await runner(db, ['report', '--output', file]);
  assert.is(r.code, 0, r.stderr);
  const md = readFileSync(file, 'utf8');
  assert.match(md, /## Team organizations/);
  assert.match(md, /\| edge_premium_7 \| John A's Team \(`mig_team_edge_premium_7`\) \| john@a\.edge\.test \| 7 \| 7 \| 7 \|/);
  assert.match(md, /Handover: not yet/);
  assert.match(md, /premium_admins_not_holding_it/);
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

// ─── The window: premiums that change holders, users deleted (rules 3 and 6) ──────
const w = dbSuite('rules 3 and 6 in the window: premiums from one holder to many and back, deletions', async db => {
  await loadFixture(db.sql, { users: 200, edgeCases: false });
  const r = await runner(db, ['up', '--skip-preflight']);
  if (r.code !== 0) throw new Error('up failed: ' + r.stderr.slice(-4000));
  await db.sql`insert into "Premium" (id, "updatedAt", tier, "emailAccountsAccess") values ('win_p', now(), 'BUSINESS_MONTHLY', 2)`;
});

/** The old app's sign-up: a user, their account and inbox, one transaction. */
async function signUp(sql: Sql, id: string, premiumId: string | null, admin = false) {
  await sql.begin(async tx => {
    await tx`insert into "User" (id, "updatedAt", name, email, "premiumId", "premiumAdminId")
             values (${id}, now(), ${'Window ' + id}, ${id + '@window.test'}, ${premiumId}, ${admin ? premiumId : null})`;
    await tx`insert into "Account" (id, "updatedAt", "userId", type, provider, "providerAccountId") values (${'acc_' + id}, now(), ${id}, 'oauth', 'google', ${id})`;
    await tx`insert into "EmailAccount" (id, "updatedAt", email, "userId", "accountId") values (${'ea_' + id}, now(), ${id + '@window.test'}, ${id}, ${'acc_' + id})`;
  });
}

async function premiumState(sql: Sql, premiumId: string) {
  const links = await sql`select id from "Organization" where "premiumId" = ${premiumId} order by id`;
  const [p] = await sql`select "usedSeats", "maxSeats" from "Premium" where id = ${premiumId}`;
  const team = await sql`select "userId", role::text as role from "OrganizationMember" where "organizationId" = ${'mig_team_' + premiumId} order by "userId"`;
  return { links: links.map(l => l.id as string), usedSeats: p.usedSeats as number, maxSeats: p.maxSeats as number | null,
           team: team.map(m => `${m.userId}:${m.role}`) };
}

w.test('one holder: their personal organization; a second holder: the team organization takes the link; back to one: home again', async db => {
  await signUp(db.sql, 'win_a', 'win_p');
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_org_win_a'], usedSeats: 1, maxSeats: 2, team: [] });
  await signUp(db.sql, 'win_b', null);
  await db.sql`update "User" set "premiumId" = 'win_p', "updatedAt" = now() where id = 'win_b'`;
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_team_win_p'], usedSeats: 2, maxSeats: 2, team: ['win_a:OWNER', 'win_b:MEMBER'] });
  for (const u of ['win_a', 'win_b']) assert.equal(await defaultOrganizations(db.sql, u), [`mig_org_${u}`], u);
  const [inboxes] = await db.sql`select count(*)::int as n from "EmailAccount" where "organizationId" = 'mig_team_win_p'`;
  assert.is(inboxes.n, 0);
  await db.sql`update "User" set "premiumId" = null, "updatedAt" = now() where id = 'win_b'`;
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_org_win_a'], usedSeats: 1, maxSeats: 2, team: [] });
  const [gone] = await db.sql`select count(*)::int as n from emailai_migration.team_organization where premium_id = 'win_p'`;
  assert.is(gone.n, 0, 'the team organization and its registry row are gone');
});

w.test('a sign-up onto a premium held by one user makes the team at once; the admin who holds it becomes OWNER', async db => {
  await signUp(db.sql, 'win_c', 'win_p', true);
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_team_win_p'], usedSeats: 2, maxSeats: 2, team: ['win_a:MEMBER', 'win_c:OWNER'] });
  assert.equal(await defaultOrganizations(db.sql, 'win_c'), ['mig_org_win_c'], 'the same transaction made both memberships: the team one is 1 ms later');
});

w.test('a team whose OWNER is deleted gets the next holder as OWNER; the deleted user\'s personal organization goes', async db => {
  await db.sql`update "User" set "premiumId" = 'win_p', "updatedAt" = now() where id = 'win_b'`;
  assert.equal((await premiumState(db.sql, 'win_p')).team, ['win_a:MEMBER', 'win_b:MEMBER', 'win_c:OWNER']);
  await db.sql`delete from "User" where id = 'win_c'`;
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_team_win_p'], usedSeats: 2, maxSeats: 2, team: ['win_a:OWNER', 'win_b:MEMBER'] });
  const [org] = await db.sql`select count(*)::int as n from "Organization" where id = 'mig_org_win_c'`;
  assert.is(org.n, 0, 'the deleted user\'s personal organization went with them');
  const [reg] = await db.sql`select count(*)::int as n from emailai_migration.created_organization where user_id = 'win_c'`;
  assert.is(reg.n, 0);
});

w.test('a team of two whose owner is deleted goes; the premium is linked home to the last holder', async db => {
  await db.sql`delete from "User" where id = 'win_a'`;
  assert.equal(await premiumState(db.sql, 'win_p'), { links: ['mig_org_win_b'], usedSeats: 1, maxSeats: 2, team: [] });
});

w.test('the last holder deleted: nothing linked, nothing left of the migration\'s for them', async db => {
  await db.sql`delete from "User" where id = 'win_b'`;
  const s = await premiumState(db.sql, 'win_p');
  assert.equal(s.links, []);
  const [left] = await db.sql`select count(*)::int as n from "Organization" where id like 'mig_%win_%'`;
  assert.is(left.n, 0);
});

w.test('an inbox moved to another user, then its old owner deleted: its rules stay private, to the new owner', async db => {
  // Found by the live test: rule 4 was applied at insert only, so the rules kept the old
  // owner as creator, and deleting that user (ON DELETE SET NULL) made them shared.
  await signUp(db.sql, 'win_from', null);
  await signUp(db.sql, 'win_to', null);
  await db.sql`insert into "Rule" (id, "updatedAt", name, "emailAccountId") values ('win_rule', now(), 'private', 'ea_win_from')`;
  await db.sql.begin(async tx => {
    await tx`update "Account" set "userId" = 'win_to', "updatedAt" = now() where id = 'acc_win_from'`;
    await tx`update "EmailAccount" set "userId" = 'win_to', "updatedAt" = now() where id = 'ea_win_from'`;
  });
  const [moved] = await db.sql`select "organizationId" from "EmailAccount" where id = 'ea_win_from'`;
  assert.is(moved.organizationId, 'mig_org_win_to', 'the inbox follows its new owner home');
  await db.sql`delete from "User" where id = 'win_from'`;
  const [rule] = await db.sql`select "createdBy" from "Rule" where id = 'win_rule'`;
  assert.is(rule.createdBy, 'win_to');
});

/** Resolves once the session `pid` waits for a lock (a state, not a time); `what` names it if it never does. */
async function seenWaitingForLock(sql: Sql, pid: number, what: string) {
  for (let waited = 0; ; waited += 10) {
    const [row] = await sql`select wait_event_type from pg_stat_activity where pid = ${pid}`;
    if (row?.wait_event_type === 'Lock') return;
    if (waited > 10_000) throw new Error(`${what} never waited for a lock`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/**
 * Holds the premium's row lock in a session of its own, starts `first` and waits until
 * it waits for that lock, then `second` likewise (so `first` is granted the lock
 * first), then lets go: the order in which the old app's writes met in the live test's
 * one deadlock. Resolves with each write's error, or null.
 */
async function queuedBehindPremium(sql: Sql, premiumId: string, writes: ((tx: Sql) => Promise<unknown>)[]) {
  const holder = await sql.reserve();
  const sessions = await Promise.all(writes.map(() => sql.reserve()));
  try {
    await holder`begin`;
    await holder`select 1 from "Premium" where id = ${premiumId} for no key update`;
    const done: Promise<Error | null>[] = [];
    for (const [i, write] of writes.entries()) {
      const session = sessions[i];
      const [{ pid }] = await session`select pg_backend_pid() as pid`;
      done.push(write(session).then(() => null, (err: Error) => err));
      await seenWaitingForLock(sql, pid as number, `write ${i + 1}`);
    }
    await holder`commit`;
    return (await Promise.all(done)).map(e => e && `${(e as { code?: string }).code}: ${e.message}`);
  } finally {
    holder.release();
    for (const session of sessions) session.release();
  }
}

const accountDeletion = (userId: string) => async (tx: Sql) => {
  await tx`begin`;
  try {
    await tx`delete from "Knowledge" where "emailAccountId" in (select id from "EmailAccount" where "userId" = ${userId})`;
    await tx`delete from "User" where id = ${userId}`;
    await tx`commit`;
  } catch (err) {
    await tx`rollback`;
    throw err;
  }
};

w.test('a plan change and the deletion of the premium\'s holder at once: no deadlock, the premium ends home with the one who is left', async db => {
  // Before: the deletion locked its personal organization, then waited for the premium;
  // the plan change held the premium and waited to unlink that organization.
  await db.sql`insert into "Premium" (id, "updatedAt", tier, "emailAccountsAccess") values ('win_q', now(), 'BUSINESS_MONTHLY', 2)`;
  await signUp(db.sql, 'win_q1', 'win_q');
  await signUp(db.sql, 'win_q2', null);
  const errors = await queuedBehindPremium(db.sql, 'win_q', [
    tx => tx`update "User" set "premiumId" = 'win_q', "updatedAt" = now() where id = 'win_q2'`,
    accountDeletion('win_q1'),
  ]);
  assert.equal(errors, [null, null], 'neither write failed');
  assert.equal(await premiumState(db.sql, 'win_q'), { links: ['mig_org_win_q2'], usedSeats: 1, maxSeats: 2, team: [] });
  const [left] = await db.sql`select count(*)::int as n from "Organization" where id in ('mig_org_win_q1', 'mig_team_win_q')`;
  assert.is(left.n, 0, 'the deleted holder\'s organization went, and no team was left behind');
});

w.test('two holders of one team premium deleted at once: no deadlock, nothing of the team left', async db => {
  // Before: the first deletion found a team of one and deleted its memberships, the
  // second holder's among them, which that holder's own deletion had locked.
  await db.sql`insert into "Premium" (id, "updatedAt", tier, "emailAccountsAccess") values ('win_r', now(), 'BUSINESS_MONTHLY', 2)`;
  await signUp(db.sql, 'win_r1', 'win_r', true);
  await signUp(db.sql, 'win_r2', 'win_r');
  assert.equal((await premiumState(db.sql, 'win_r')).team, ['win_r1:OWNER', 'win_r2:MEMBER']);
  const errors = await queuedBehindPremium(db.sql, 'win_r', [accountDeletion('win_r1'), accountDeletion('win_r2')]);
  assert.equal(errors, [null, null], 'neither deletion failed');
  const state = await premiumState(db.sql, 'win_r');
  assert.equal([state.links, state.team], [[], []]);
  const [left] = await db.sql`select count(*)::int as n from "Organization" where id like 'mig_%win_r%'`;
  assert.is(left.n, 0);
  const [reg] = await db.sql`select count(*)::int as n from emailai_migration.team_organization where premium_id = 'win_r'`;
  assert.is(reg.n, 0, 'the registry forgot the team');
});

w.test('a rule written for an inbox whose owner is being deleted: no deadlock, the app\'s own foreign-key error', async db => {
  // Before: the insert locked the inbox (its "emailAccountId" check) and then waited for
  // the user (the "createdBy" check, a key the migration added), while the deletion held
  // the user and waited for the inbox (its cascade): a deadlock the old app never had.
  await signUp(db.sql, 'win_s', null);
  const deleter = await db.sql.reserve();
  const writer = await db.sql.reserve();
  try {
    await deleter`begin`;
    // The first half of the old app's account deletion: the "User" row is locked.
    await deleter`select 1 from "User" where id = 'win_s' for update`;
    const [{ pid }] = await writer`select pg_backend_pid() as pid`;
    const insert = writer`insert into "Rule" (id, "updatedAt", name, "emailAccountId") values ('win_s_rule', now(), 'r', 'ea_win_s')`
      .then(() => null, (err: { code?: string; constraint_name?: string }) => `${err.code} ${err.constraint_name}`);
    await seenWaitingForLock(db.sql, pid as number, 'the insert');
    // The second half: the delete, whose cascade removes the inbox.
    const deleted = await deleter`delete from "User" where id = 'win_s'`.then(() => null, (err: { code?: string }) => err.code);
    await deleter`commit`;
    assert.is(deleted, null, 'the deletion went through');
    assert.is(await insert, '23503 Rule_emailAccountId_fkey', 'the insert met the app\'s own key, as it would without the migration');
  } finally {
    deleter.release();
    writer.release();
  }
});

w.test('an existing team premium of the fixture: a holder deleted, seats follow; verify passes after all of it', async db => {
  const [p] = await db.sql`select "premiumId" as id from "User" where "premiumId" is not null group by 1 having count(*) >= 3 order by 1 limit 1`;
  const before = await premiumState(db.sql, p.id);
  const [victim] = await db.sql`select m."userId" from "OrganizationMember" m where m."organizationId" = ${'mig_team_' + p.id} and m.role = 'OWNER'`;
  // the old app's account deletion: knowledge first (ON DELETE RESTRICT), then the user
  await db.sql.begin(async tx => {
    await tx`delete from "Knowledge" where "emailAccountId" in (select id from "EmailAccount" where "userId" = ${victim.userId})`;
    await tx`delete from "User" where id = ${victim.userId}`;
  });
  const after = await premiumState(db.sql, p.id);
  assert.is(after.usedSeats, before.usedSeats - 1);
  assert.is(after.team.length, before.team.length - 1);
  assert.is(after.team.filter(t => t.endsWith(':OWNER')).length, 1);
  const r = await runner(db, ['verify', '--json']);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.checks.filter((c: { passed: boolean; severity: string }) => !c.passed && c.severity === 'error').map((c: { name: string; rows: unknown[] }) => `${c.name} ${JSON.stringify(c.rows)}`), []);
  assert.is(r.code, 0);
});
w.run();
