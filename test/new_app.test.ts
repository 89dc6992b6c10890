// After `runner.ts handover` (issue 15): the new app's life. Each behaviour of SPEC's
// "The real app after the deploy", done the way the app does it (Prisma sets
// "updatedAt"; the seat recount is updateOrganizationSeats: usedSeats := the members of
// that organization), changes nothing the app did not ask for, and verify / monitor
// stay green, warning and naming the behaviour where the rows are merely new.
// Held-out corruptions of the migration's own work are still errors afterwards.
import * as assert from 'uvu/assert';
import type { Sql } from 'postgres';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';

interface CheckDoc { name: string; severity: 'error' | 'warn'; count: number; passed: boolean; rows: Record<string, unknown>[] }

async function verifyDoc(db: TestDatabase) {
  const r = await runner(db, ['verify', '--json']);
  const doc = JSON.parse(r.stdout) as { passed: boolean; checks: CheckDoc[] };
  return { code: r.code, doc, byName: new Map(doc.checks.map(c => [c.name, c])) };
}

const errorsOf = (doc: { checks: CheckDoc[] }) =>
  doc.checks.filter(c => c.severity === 'error' && !c.passed).map(c => `${c.name}: ${JSON.stringify(c.rows.slice(0, 3))}`);

/** Everything of the package's and the app's new tables, for "nothing else changed". */
async function snapshot(sql: Sql) {
  const [r] = await sql`
    select (select md5(coalesce(string_agg(to_jsonb(o)::text, ',' order by id), '')) from "Organization" o) as organizations,
           (select md5(coalesce(string_agg(to_jsonb(m)::text, ',' order by id), '')) from "OrganizationMember" m) as members,
           (select md5(coalesce(string_agg(to_jsonb(p)::text, ',' order by id), '')) from "Premium" p) as premiums,
           (select md5(coalesce(string_agg(to_jsonb(e)::text, ',' order by id), '')) from "EmailAccount" e) as inboxes,
           (select md5(coalesce(string_agg(to_jsonb(r)::text, ',' order by id), '')) from "Rule" r) as rules`;
  return r as Record<string, string>;
}

/** The app's seat recount (utils/organization/billing.ts updateOrganizationSeats), in SQL. */
async function appRecountSeats(sql: Sql, organizationId: string) {
  await sql`update "Premium" p set "usedSeats" = (select count(*)::int from "OrganizationMember" m where m."organizationId" = ${organizationId}),
                                   "updatedAt" = now()
            from "Organization" o where o.id = ${organizationId} and p.id = o."premiumId"`;
}

const s = dbSuite('the new app after handover', async db => {
  await loadFixture(db.sql, { users: 800, edgeCases: true });
  const up = await runner(db, ['up', '--skip-preflight']);
  if (up.code !== 0) throw new Error('up failed: ' + up.stderr.slice(-4000));
});

s.test('handover --dry-run lists the triggers and changes nothing', async db => {
  const before = await snapshot(db.sql);
  const r = await runner(db, ['handover', '--dry-run', '--json']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.dryRun, true);
  assert.is(doc.dropTriggers.length, 8);
  assert.equal(await snapshot(db.sql), before);
  const [t] = await db.sql`select count(*)::int as n from pg_trigger where tgname like 'emailai\\_migration\\_%'`;
  assert.is(t.n, 8);
});

s.test('handover catches up, drops every window trigger, records itself; a second run is a no-op; status shows it', async db => {
  const r = await runner(db, ['handover', '--json']);
  assert.is(r.code, 0, r.stderr);
  const [t] = await db.sql`select count(*)::int as n from pg_trigger where tgname like 'emailai\\_migration\\_%'`;
  assert.is(t.n, 0);
  const before = await snapshot(db.sql);
  const again = await runner(db, ['handover', '--json']);
  assert.is(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).dropTriggers, []);
  assert.equal(await snapshot(db.sql), before, 'the second handover changed nothing');
  const log = await db.sql`select status from migration_log where migration_name = 'multi_tenant_handover' order by id`;
  assert.equal(log.map(l => l.status), ['completed', 'completed']);
  const st = await runner(db, ['status', '--json']);
  const status = JSON.parse(st.stdout);
  assert.ok(status.handover.handedOverAt, 'status shows when the handover ran');
  assert.is(status.handover.signupKeeper, 'not installed');
  assert.ok(status.windowTriggers.every((x: { state: string }) => x.state === 'not installed'));
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
});

s.test('sign-up: the app creates a user and an inbox without an organization; nothing is added; a warning names it', async db => {
  const before = await snapshot(db.sql);
  await db.sql.begin(async tx => {
    await tx`insert into "User" (id, "updatedAt", name, email) values ('app_new_user', now(), 'New User', 'new.user@app.test')`;
    await tx`insert into "Account" (id, "updatedAt", "userId", type, provider, "providerAccountId") values ('app_new_acc', now(), 'app_new_user', 'oauth', 'google', 'app_new_user')`;
    await tx`insert into "EmailAccount" (id, "updatedAt", email, "userId", "accountId") values ('app_new_ea', now(), 'new.user@app.test', 'app_new_user', 'app_new_acc')`;
  });
  const after = await snapshot(db.sql);
  assert.equal([after.organizations, after.members], [before.organizations, before.members], 'no organization or membership appeared');
  const [ea] = await db.sql`select "organizationId" from "EmailAccount" where id = 'app_new_ea'`;
  assert.is(ea.organizationId, null);
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
  assert.is(v.code, 0);
  assert.ok(v.byName.get('users_without_organization_since_handover')!.rows.some(r => r.user_id === 'app_new_user'));
  assert.ok(v.byName.get('email_accounts_written_by_the_app_since_handover')!.rows.some(r => r.email_account_id === 'app_new_ea'));
});

s.test('a rule without createdBy stays without one (shared by design); a warning, no error', async db => {
  const [inbox] = await db.sql`select id from "EmailAccount" where "userId" = 'edge_tab_name'`;
  await db.sql`insert into "Rule" (id, "updatedAt", name, "emailAccountId") values ('app_rule_shared', now(), 'Shared by the app', ${inbox.id})`;
  const [rule] = await db.sql`select "createdBy" from "Rule" where id = 'app_rule_shared'`;
  assert.is(rule.createdBy, null);
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
  assert.ok(v.byName.get('resources_without_creator_since_handover')!.rows.some(r => r.resource_id === 'app_rule_shared'));
});

s.test('member added to a team with the app\'s seat recount, then an inbox shared into it by a member who does not own it', async db => {
  // edge_premium_null_access: no seat limit, so the app's canAddOrganizationMember allows it
  const team = 'mig_team_edge_premium_null_access';
  await db.sql`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId") values ('app_invited', now(), 'MEMBER', 'edge_no_inbox', ${team})`;
  await appRecountSeats(db.sql, team);
  const [p] = await db.sql`select "usedSeats" from "Premium" where id = 'edge_premium_null_access'`;
  assert.is(p.usedSeats, 3);
  // edge_sql_name holds the premium and is a MEMBER of its team (edge_300_name, its admin, owns it)
  const [ea] = await db.sql`select id from "EmailAccount" where "userId" = 'edge_sql_name' limit 1`;
  await db.sql`update "EmailAccount" set "organizationId" = ${team}, "updatedAt" = now() where id = ${ea.id}`;
  const [after] = await db.sql`select "organizationId" from "EmailAccount" where id = ${ea.id}`;
  assert.is(after.organizationId, team, 'the share stays where the app put it');
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
  assert.ok(v.byName.get('email_accounts_written_by_the_app_since_handover')!.rows.some(r => r.email_account_id === ea.id));
  // and removed again, recounted
  await db.sql`delete from "OrganizationMember" where id = 'app_invited'`;
  await appRecountSeats(db.sql, team);
  assert.equal(errorsOf((await verifyDoc(db)).doc), []);
});

s.test('an inbox ownership transfer keeps its organization (no trigger moves it); no error', async db => {
  const [ea] = await db.sql`select id, "organizationId" from "EmailAccount" where "userId" = 'edge_john_b'`;
  await db.sql`update "EmailAccount" set "userId" = 'edge_symbols', "updatedAt" = now() where id = ${ea.id}`;
  const [after] = await db.sql`select "organizationId" from "EmailAccount" where id = ${ea.id}`;
  assert.is(after.organizationId, ea.organizationId);
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
});

s.test('an account merge (inboxes moved to the target, the source user deleted): warnings name it, no error', async db => {
  const [src] = await db.sql`
    select u.id from "User" u where u."premiumId" is null and u.id not like 'edge%'
      and exists (select 1 from "EmailAccount" ea where ea."userId" = u.id
                  and exists (select 1 from "Rule" r where r."emailAccountId" = ea.id))
    order by u.id limit 1`;
  const [target] = await db.sql`select id from "User" where "premiumId" is null and id <> ${src.id} and id not like 'edge%' order by id desc limit 1`;
  await db.sql.begin(async tx => {
    await tx`update "EmailAccount" set "userId" = ${target.id}, "updatedAt" = now() where "userId" = ${src.id}`;
    await tx`delete from "User" where id = ${src.id}`;
  });
  const [org] = await db.sql`select count(*)::int as n from "Organization" where id = ${'mig_org_' + src.id}`;
  assert.is(org.n, 1, 'no trigger deletes the source\'s organization after the handover: its inboxes are in it');
  const v = await verifyDoc(db);
  assert.equal(errorsOf(v.doc), []);
  assert.ok(v.byName.get('organizations_without_owner_after_account_deletion')!.rows.some(r => r.organization_id === 'mig_org_' + src.id));
});

s.test('monitor stays green after all of it, and names the app behaviour behind each new row', async db => {
  const r = await runner(db, ['monitor', '--json', '--min-rows', '100000']);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { what: string }) => f.what), []);
  assert.is(r.code, 0);
  const notes = doc.findings.filter((f: { area: string }) => f.area === 'app_behaviour').map((f: { what: string }) => f.what).join('\n');
  assert.match(notes, /sign-up creates no organization/);
  assert.match(notes, /without "createdBy"/);
  assert.match(notes, /shares inboxes into organizations/);
  assert.match(notes, /account merge/);
});

s.test('the migration\'s own work is still checked: held-out corruptions after the handover are errors', async db => {
  const cases: [string, (sql: Sql) => Promise<unknown>, string][] = [
    ['an old rule loses its creator by hand', sql => sql`update "Rule" set "createdBy" = null where id = (select r.id from "Rule" r join "EmailAccount" ea on ea.id = r."emailAccountId" where ea."userId" = 'edge_four_inboxes' order by r.id limit 1)`, 'resources_without_creator'],
    ['an old inbox moved into a stranger\'s organization by hand', sql => sql`update "EmailAccount" set "organizationId" = 'mig_org_edge_no_inbox' where id = (select id from "EmailAccount" where "userId" = 'edge_four_inboxes' order by id limit 1)`, 'email_accounts_in_organization_owner_does_not_own'],
    ['an old inbox unlinked by hand', sql => sql`update "EmailAccount" set "organizationId" = null where id = (select id from "EmailAccount" where "userId" = 'edge_four_inboxes' order by id desc limit 1)`, 'email_accounts_without_organization'],
    ['a migrated user\'s OWNER membership deleted', sql => sql`delete from "OrganizationMember" where "userId" = 'edge_john_b' and role = 'OWNER' and "organizationId" = 'mig_org_edge_john_b'`, 'users_without_organization'],
    ['a premium linked to a second organization', sql => sql`update "Organization" set "premiumId" = 'edge_premium_7' where id = 'mig_org_edge_long_local'`, 'premiums_linked_to_several_organizations'],
    ['a premium\'s usedSeats off by one', sql => sql`update "Premium" set "usedSeats" = "usedSeats" + 1 where id = 'edge_premium_admin_outside'`, 'premium_seats_differ_from_members'],
  ];
  for (const [what, breakIt, check] of cases) {
    await breakIt(db.sql);
    const v = await verifyDoc(db);
    assert.ok(!v.byName.get(check)!.passed, `${what}: ${check} fires`);
    assert.is(v.code, 1, what);
  }
});
s.run();

// ─── --keep-signup-organizations ──────────────────────────────────────────────────
const k = dbSuite('handover --keep-signup-organizations', async db => {
  await loadFixture(db.sql, { users: 100, edgeCases: false });
  const up = await runner(db, ['up', '--skip-preflight']);
  if (up.code !== 0) throw new Error('up failed: ' + up.stderr.slice(-4000));
  const h = await runner(db, ['handover', '--keep-signup-organizations']);
  if (h.code !== 0) throw new Error('handover failed: ' + h.stderr.slice(-4000));
});

k.test('only the keeper stays; a user committed without a membership gets a personal organization, an invited one does not', async db => {
  const triggers = await db.sql`select tgname from pg_trigger where tgname like 'emailai\\_migration\\_%' order by 1`;
  assert.equal(triggers.map(t => t.tgname), ['emailai_migration_signup_keeper']);
  await db.sql`insert into "User" (id, "updatedAt", email) values ('keep_alone', now(), 'alone@keep.test')`;
  const [alone] = await db.sql`select "organizationId", role::text as role from "OrganizationMember" where "userId" = 'keep_alone'`;
  assert.equal(alone, { organizationId: 'mig_org_keep_alone', role: 'OWNER' });
  const [org] = await db.sql`select id from "Organization" where id <> 'mig_org_keep_alone' order by id limit 1`;
  await db.sql.begin(async tx => {
    await tx`insert into "User" (id, "updatedAt", email) values ('keep_invited', now(), 'invited@keep.test')`;
    await tx`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId") values ('keep_m', now(), 'MEMBER', 'keep_invited', ${org.id})`;
  });
  const invited = await db.sql`select "organizationId" from "OrganizationMember" where "userId" = 'keep_invited'`;
  assert.equal(invited.map(m => m.organizationId), [org.id], 'the invited user keeps only the app\'s membership');
  const st = JSON.parse((await runner(db, ['status', '--json'])).stdout);
  assert.is(st.handover.signupKeeper, 'enabled');
});

k.test('handover again without the flag drops the keeper; cleanup\'s drop list tolerates the triggers already gone', async db => {
  const r = await runner(db, ['handover']);
  assert.is(r.code, 0, r.stderr);
  const [t] = await db.sql`select count(*)::int as n from pg_trigger where tgname like 'emailai\\_migration\\_%'`;
  assert.is(t.n, 0);
  const c = await runner(db, ['cleanup', '--force', '--min-days', '0']);
  assert.is(c.code, 0, c.stderr.slice(-3000));
  const [schema] = await db.sql`select count(*)::int as n from pg_namespace where nspname = 'emailai_migration'`;
  assert.is(schema.n, 0);
});
k.run();
