// After the deploy (issue 8): monitor, diagnose, cleanup, announce against a migrated
// fixture. Each suite migrates its own database (1,000 generated users + edge cases).
import * as assert from 'uvu/assert';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { WINDOW_TRIGGERS } from '../lib/window-triggers.ts';

async function migrated(db: TestDatabase): Promise<void> {
  await loadFixture(db.sql, { users: 1000 });
  const r = await runner(db, ['up', '--skip-preflight']);
  if (r.code !== 0) throw new Error(`up failed (${r.code}): ${r.stderr}`);
  // monitor watches the app's traffic after the deploy, not the migration's own: on
  // tables of ~2,000 rows the backfill's batches are planned as sequential scans
  // (cheaper there; at scale they are key probes, test/trigger_plans), and their count,
  // which grows with the number of batches, would decide the 1 % threshold. The
  // counters start from the deploy.
  await flushStats(db);
  await db.sql`
    select pg_stat_reset_single_table_counters(c.oid)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'`;
}

const json = (stdout: string) => JSON.parse(stdout);

// Flushes this backend's statistics so pg_stat_user_tables sees them at once (PG15+).
async function flushStats(db: TestDatabase): Promise<void> {
  const [{ v }] = await db.sql`select current_setting('server_version_num')::int as v`;
  if (v >= 150000) await db.sql`select pg_stat_force_next_flush()`;
  else await new Promise(r => setTimeout(r, 1500));
}

/** A user with exactly one inbox, linked to the organization they own. */
async function healthyUsers(db: TestDatabase, count: number): Promise<{ id: string; email: string; inbox: string; org: string }[]> {
  return await db.sql`
    select u.id, u.email, min(ea.id) as inbox, min(ea."organizationId") as org
    from "User" u join "EmailAccount" ea on ea."userId" = u.id
    where u.id not like 'edge%'
    group by u.id, u.email
    having count(*) = 1
       and (select count(*) from "OrganizationMember" m where m."userId" = u.id) = 1
    order by u.id limit ${count}` as any;
}

const ANNOUNCE_SETTINGS = {
  EMAILAI_MIGRATION_DATE: 'Sunday, 12 October 2025',
  EMAILAI_MIGRATION_TIME: '02:00 UTC',
  EMAILAI_MIGRATION_END_TIME: '02:30 UTC',
  EMAILAI_VERIFICATION_TIME: '03:00 UTC',
  EMAILAI_CONTACT_EMAIL: 'support@emailai.test',
  EMAILAI_STATUS_URL: 'https://status.emailai.test',
  EMAILAI_ORGANIZATION_URL: 'https://app.emailai.test/organization',
  EMAILAI_INVITE_URL: 'https://app.emailai.test/organization/members',
  EMAILAI_DOCS_URL: 'https://docs.emailai.test/organizations',
  EMAILAI_SUPPORT_URL: 'https://emailai.test/support',
};

// ---------------------------------------------------------------- monitor + announce
const m = dbSuite('post_deploy_monitor', migrated);

m.test('announce: every kind is filled, no [..] placeholder, numbers equal the database', async db => {
  const [c] = await db.sql`
    select (select count(*) from "User")::int as users,
           (select count(*) from "EmailAccount")::int as inboxes,
           (select count(*) from emailai_migration.created_organization)::int as created,
           (select count(*) from emailai_migration.linked_email_account)::int as linked,
           (select count(distinct premium_id) from emailai_migration.linked_premium)::int as premiums`;
  assert.ok(c.created > 1000 && c.linked > 1000 && c.premiums > 0, JSON.stringify(c));
  const n = (x: number) => x.toLocaleString('en-US');
  for (const kind of ['week-before', 'day-before', 'done', 'paused']) {
    const r = await runner(db, ['announce', kind], ANNOUNCE_SETTINGS);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, /\[[^\]\n]*\]/, `${kind} left a placeholder`);
    assert.match(r.stdout, /^Subject: /);
  }
  const week = await runner(db, ['announce', 'week-before'], ANNOUNCE_SETTINGS);
  assert.ok(week.stdout.includes(`on Sunday, 12 October 2025 at 02:00 UTC`));
  assert.ok(week.stdout.includes(`(${n(c.users)} accounts, ${n(c.inboxes)} connected email accounts)`), week.stdout);
  assert.ok(week.stdout.includes('- 02:30 UTC: Migration complete (estimated)'));
  const done = await runner(db, ['announce', 'done', '--json'], ANNOUNCE_SETTINGS);
  const doc = json(done.stdout);
  assert.equal([doc.numbers.organizations_created, doc.numbers.inboxes_linked, doc.numbers.premiums_linked], [c.created, c.linked, c.premiums]);
  assert.ok(doc.text.includes(`(${n(c.created)} organizations created)`), doc.text);
  assert.ok(doc.text.includes(`(${n(c.linked)} email accounts linked to their organization)`));
  assert.ok(doc.text.includes(`(${n(c.premiums)} subscriptions linked)`));
  assert.match(doc.text, /✓ (\d+) of \1 integrity checks passed/);
});

m.test('announce: a missing setting exits 2 and names it (flag and variable)', async db => {
  const { EMAILAI_SUPPORT_URL: _gone, ...rest } = ANNOUNCE_SETTINGS;
  const r = await runner(db, ['announce', 'done'], { ...rest, EMAILAI_SUPPORT_URL: undefined });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--support-url \(or EMAILAI_SUPPORT_URL\)/);
  assert.is(r.stdout, '');
  const flag = await runner(db, ['announce', 'done', '--support-url', 'https://x.test/help'], { ...rest, EMAILAI_SUPPORT_URL: undefined });
  assert.is(flag.code, 0, flag.stderr);
  assert.ok(flag.stdout.includes('visit https://x.test/help'));
});

m.test('monitor passes on a freshly migrated database and says pg_stat_statements is absent', async db => {
  const r = await runner(db, ['monitor', '--json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const doc = json(r.stdout);
  assert.is(doc.passed, true);
  assert.equal(doc.findings.filter((f: any) => f.severity === 'error'), []);
  const note = doc.findings.find((f: any) => f.area === 'slow_queries');
  assert.is(note.severity, 'note');
  assert.match(note.what, /slow queries NOT checked.*pg_stat_statements/);
  assert.match(note.next, /shared_preload_libraries/);
  assert.is(doc.seen.slow_queries, null);
  assert.is(doc.seen.checks.failed.length, 0);
});

m.test('monitor: a dropped index and the sequential scans it causes -> exit 1 with the CREATE INDEX CONCURRENTLY', async db => {
  await db.sql`drop index "OrganizationMember_organizationId_idx"`;
  await db.sql`analyze "OrganizationMember"`;
  const orgs = await db.sql`select id from "Organization" order by id limit 400`;
  for (const o of orgs) await db.sql`select count(*) from "OrganizationMember" where "organizationId" = ${o.id}`;
  await flushStats(db);
  const r = await runner(db, ['monitor', '--json', '--min-rows', '500']);
  assert.is(r.code, 1, r.stderr);
  const doc = json(r.stdout);
  const missing = doc.findings.find((f: any) => f.area === 'missing_index');
  assert.ok(missing, JSON.stringify(doc.findings));
  assert.match(missing.what, /"OrganizationMember_organizationId_idx"/);
  assert.is(missing.next, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "OrganizationMember_organizationId_idx" ON "OrganizationMember" ("organizationId");');
  const seq = doc.findings.find((f: any) => f.area === 'seq_scans');
  assert.ok(seq, JSON.stringify(doc.seen.seq_scans));
  assert.match(seq.what, /"OrganizationMember"/);
  // The printed fix works: run it, reset the counters, monitor passes again.
  await db.sql.unsafe(missing.next);
  await db.sql`select pg_stat_reset_single_table_counters('public."OrganizationMember"'::regclass)`;
  // And "Organization"'s: the checks verify and monitor run read it whole (the app's
  // schema has no index on "premiumId"), so on a fixture this small the suite's own
  // earlier runs sit right at the 1 % threshold.
  await db.sql`select pg_stat_reset_single_table_counters('public."Organization"'::regclass)`;
  await flushStats(db);
  const again = await runner(db, ['monitor']);
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /no threshold crossed/);
});

m.test('monitor: a user who lost their membership -> exit 1 naming the check and the repair command', async db => {
  const [u] = await healthyUsers(db, 1);
  await db.sql`delete from "OrganizationMember" where "userId" = ${u.id}`;
  const r = await runner(db, ['monitor']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ \[drift\] check users_without_organization fails: 1 row/);
  assert.ok(r.stdout.includes(`next: runner.ts repair --user ${u.id}`), r.stdout);
  const doc = json((await runner(db, ['monitor', '--json'])).stdout);
  assert.ok(doc.seen.checks.failed.includes('users_without_organization'));
  assert.ok(doc.seen.checks.failed.includes('organizations_without_owner'));
});

m.run();

// ---------------------------------------------------------------- diagnose
const d = dbSuite('post_deploy_diagnose', async db => {
  await migrated(db);
});

d.test('diagnose: a healthy user (by e-mail) -> exit 0, OWNER of the organization of every inbox', async db => {
  const [u] = await healthyUsers(db, 1);
  const r = await runner(db, ['diagnose', '--user', u.email.toUpperCase(), '--json']);
  assert.is(r.code, 0, r.stderr);
  const doc = json(r.stdout);
  assert.is(doc.user.id, u.id);
  assert.is(doc.healthy, true);
  assert.is(doc.fix, null);
  assert.is(doc.memberships.length, 1);
  assert.is(doc.memberships[0].role, 'OWNER');
  assert.is(doc.memberships[0].is_default, true);
  assert.equal(doc.inboxes.map((i: any) => [i.email_account_id, i.organization_id, i.user_role, i.problem]), [[u.inbox, u.org, 'OWNER', null]]);
});

d.test('diagnose: an unlinked inbox and an inbox in an organization the user does not own -> the repair command', async db => {
  const [a, b] = await healthyUsers(db, 2);
  await db.sql`update "EmailAccount" set "organizationId" = null where id = ${a.inbox}`;
  const ra = await runner(db, ['diagnose', '--user', a.id]);
  assert.is(ra.code, 1, ra.stderr);
  assert.match(ra.stdout, /no organization  \[unlinked_inbox\]/);
  assert.ok(ra.stdout.includes(`fix: runner.ts repair --user ${a.id}`));

  // b's inbox moved into a's organization: b is not a member there at all.
  await db.sql`update "EmailAccount" set "organizationId" = ${a.org} where id = ${b.inbox}`;
  const rb = await runner(db, ['diagnose', '--user', b.id, '--json']);
  assert.is(rb.code, 1, rb.stderr);
  const doc = json(rb.stdout);
  assert.equal(doc.problems, ['inbox_in_organization_not_owned']);
  assert.is(doc.inboxes[0].organization_id, a.org);
  assert.is(doc.inboxes[0].user_role, null);
  assert.is(doc.fix, `runner.ts repair --user ${b.id}`);
});

d.test('diagnose: a user with no organization; an unknown user exits 3', async db => {
  const [, , c] = await healthyUsers(db, 3);
  await db.sql`delete from "OrganizationMember" where "userId" = ${c.id}`;
  const r = await runner(db, ['diagnose', '--user', c.id, '--json']);
  assert.is(r.code, 1);
  assert.ok(json(r.stdout).problems.includes('no_organization'));
  const unknown = await runner(db, ['diagnose', '--user', 'nobody@nowhere.test']);
  assert.is(unknown.code, 3);
  assert.match(unknown.stderr, /no user with id or e-mail "nobody@nowhere.test"/);
  const usage = await runner(db, ['diagnose']);
  assert.is(usage.code, 2);
});

d.run();

// ---------------------------------------------------------------- cleanup
const c = dbSuite('post_deploy_cleanup', migrated);

const leftovers = (db: TestDatabase) => db.sql`
  select (select count(*) from pg_trigger where not tgisinternal and tgname like 'emailai_migration%')::int as triggers,
         (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'emailai_migration')::int as functions,
         (select count(*) from pg_namespace where nspname = 'emailai_migration')::int as schemas,
         (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'emailai_migration')::int as relations`;

c.test('cleanup refuses on a fresh migration (default 30 days), changing nothing', async db => {
  const before = await leftovers(db);
  const r = await runner(db, ['cleanup']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /less than --min-days 30/);
  assert.equal({ ...(await leftovers(db))[0] }, { ...before[0] });
  assert.ok(before[0].triggers === WINDOW_TRIGGERS.length && before[0].functions > 0 && before[0].schemas === 1, JSON.stringify(before));
  const [{ n }] = await db.sql`select count(*)::int as n from migration_log where migration_name = 'cleanup'`;
  assert.is(n, 0);
});

c.test('cleanup refuses while an error-level check fails, naming it and --force', async db => {
  const [row] = await db.sql`select id, "organizationId" as org from "EmailAccount" order by id limit 1`;
  await db.sql`update "EmailAccount" set "organizationId" = null where id = ${row.id}`;
  try {
    const r = await runner(db, ['cleanup', '--deployed-at', '2000-01-01']);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /email_accounts_without_organization \(1\)/);
    assert.match(r.stderr, /cleanup --force/);
    assert.is((await leftovers(db))[0].schemas, 1);
  } finally {
    await db.sql`update "EmailAccount" set "organizationId" = ${row.org} where id = ${row.id}`;
  }
});

c.test('cleanup --dry-run lists the objects and drops nothing', async db => {
  const r = await runner(db, ['cleanup', '--dry-run', '--force', '--json']);
  assert.is(r.code, 0, r.stderr);
  const names = json(r.stdout).wouldDrop.map((o: any) => `${o.object_type} ${o.object_name}`);
  assert.ok(names.includes('trigger emailai_migration_user_inserted ON "User"'), names.join('\n'));
  assert.ok(names.includes('schema emailai_migration'));
  assert.ok(names.includes('table emailai_migration.ley_migrations'));
  assert.is((await leftovers(db))[0].triggers, WINDOW_TRIGGERS.length);
});

c.test('cleanup after 30 days (backdated migration_log) leaves no trigger, function or bookkeeping; migration_log stays with its row', async db => {
  await db.sql`update migration_log set completed_at = completed_at - interval '31 days', started_at = started_at - interval '31 days'
               where migration_name = 'multi_tenant_data'`;
  const r = await runner(db, ['cleanup']);
  assert.is(r.code, 0, r.stderr);
  assert.equal({ ...(await leftovers(db))[0] }, { triggers: 0, functions: 0, schemas: 0, relations: 0 });
  const log = await db.sql`select migration_name, status, completed_at is not null as ended from migration_log order by id`;
  assert.equal({ ...log.at(-1) }, { migration_name: 'cleanup', status: 'completed', ended: true });
  assert.ok(log.some(l => l.migration_name === 'multi_tenant_data'));
  // The app still works without the triggers: a new user is just a row.
  await db.sql`insert into "User" (id, "updatedAt", email) values ('after_cleanup', now(), 'after@cleanup.test')`;
  const again = await runner(db, ['cleanup']);
  assert.is(again.code, 3, 'a second cleanup is refused: the new user has no organization (and the registry is gone)');
});

c.run();

// ---------------------------------------------------------------- cleanup: gated on the package's own invariants
// (SPEC phase 5) --force overrides a failing app-level check, not only the age; what
// no --force overrides is the package's own state, and each such refusal can be settled.
const g = dbSuite('post_deploy_cleanup_gate', async db => {
  await loadFixture(db.sql, { users: 200 });
  const r = await runner(db, ['up', '--skip-preflight']);
  if (r.code !== 0) throw new Error(`up failed (${r.code}): ${r.stderr}`);
});

g.test('an object outside the package that depends on it refuses cleanup even with --force, until it is dropped', async db => {
  await db.sql`create view public.report_created_organizations as select organization_id from emailai_migration.created_organization`;
  const r = await runner(db, ['cleanup', '--force', '--deployed-at', '2000-01-01']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, /view report_created_organizations/);
  assert.is((await leftovers(db))[0].schemas, 1);
  assert.is((await db.sql`select to_regclass('public.report_created_organizations') is not null as v`)[0].v, true);
  await db.sql`drop view public.report_created_organizations`;
});

g.test('after handover removed most window triggers, with an app-level check failing: refused without --force, done with it', async db => {
  // What `handover` leaves: the sign-up keeper only. And the new app's sign-up creates
  // no organization: users_without_organization fails, legitimately.
  for (const t of ['emailai_migration_user_premium_changed ON "User"', 'emailai_migration_email_account_written ON "EmailAccount"',
                   'emailai_migration_rule_inserted ON "Rule"', 'emailai_migration_group_inserted ON "Group"',
                   'emailai_migration_knowledge_inserted ON "Knowledge"', 'emailai_migration_category_inserted ON "Category"']) {
    await db.sql.unsafe(`drop trigger ${t}`);
  }
  await db.sql`alter table "User" disable trigger emailai_migration_user_inserted`;
  await db.sql`insert into "User" (id, "updatedAt", email) values ('signed_up_after_handover', now(), 'new@after.handover.test')`;
  await db.sql`alter table "User" enable trigger emailai_migration_user_inserted`;
  const refused = await runner(db, ['cleanup', '--deployed-at', '2000-01-01']);
  assert.is(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /users_without_organization \(1\)/);
  const r = await runner(db, ['cleanup', '--force', '--deployed-at', '2000-01-01', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(json(r.stdout).failingChecks.includes('users_without_organization (1)'), r.stdout);
  assert.equal({ ...(await leftovers(db))[0] }, { triggers: 0, functions: 0, schemas: 0, relations: 0 });
  const [last] = await db.sql`select migration_name, status from migration_log order by id desc limit 1`;
  assert.equal({ ...last }, { migration_name: 'cleanup', status: 'completed' });
});

g.run();
