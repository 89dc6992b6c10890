// The operator's window: backup restores with equal row counts; plan changes nothing
// and predicts what backfill does; Ctrl-C during backfill stops it, is recorded, and a
// re-run completes; no command prints a password, nor do migration_log or the report.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createDatabase, dbSuite, runner } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { databaseSnapshot } from './snapshot.ts';

const backup = dbSuite('operator backup', async db => { await loadFixture(db.sql, { users: 300 }); });
backup.test('backup --restore-to restores the fixture with the row count of every table equal', async db => {
  const scratch = await createDatabase('scratch');
  const dir = mkdtempSync(join(tmpdir(), 'emailai-backup-'));
  try {
    const r = await runner(db, ['backup', '--file', join(dir, 'b.dump'), '--restore-to', scratch.url, '--json']);
    assert.is(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.match(doc.sha256, /^[0-9a-f]{64}$/);
    assert.ok(doc.bytes > 0 && doc.entries > 0);
    assert.equal(doc.restore.mismatches, []);
    const [{ users }] = await scratch.sql`select count(*)::int as users from "User"`;
    assert.is(users, doc.restore.rowCounts['public.User']);
    const [{ source }] = await db.sql`select count(*)::int as source from "User"`;
    assert.is(users, source);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  }
});
backup.run();

const plan = dbSuite('operator plan', async db => { await loadFixture(db.sql, { users: 1000 }); });
plan.test('plan changes nothing and its numbers equal what backfill then does (before and after the schema phase)', async db => {
  const before = await databaseSnapshot(db.sql);
  const p1 = await runner(db, ['plan', '--json', '--batch-size', '500']);
  assert.is(p1.code, 0, p1.stderr);
  assert.is(await databaseSnapshot(db.sql), before, 'plan changed nothing');
  const early = JSON.parse(p1.stdout);
  assert.is(early.schemaPhaseDone, false);

  assert.is((await runner(db, ['schema'])).code, 0);
  const p2 = await runner(db, ['plan', '--json', '--batch-size', '500']);
  const late = JSON.parse(p2.stdout);
  assert.is(late.schemaPhaseDone, true);
  for (const k of ['users', 'organizationsToCreate', 'emailAccountsToLink', 'premiumLinksToCreate', 'premiumsToLink',
    'premiumSeatsToUpdate', 'resourcesWithoutCreator', 'customersOverSeats', 'seatsPerPremium', 'batches',
    'teamOrganizationsToCreate', 'teamPremiums', 'teams', 'adminsNotHolding']) {
    assert.equal(late[k], early[k], `${k} is the same before and after the schema phase`);
  }

  const seatsBefore = await db.sql`select id, "usedSeats", "maxSeats" from "Premium" order by id`;
  // Fixed-size batches (--target-batch-ms 0) in one job (--jobs 1), as plan counts them: sized
  // batches on a busy machine could be more, and each --jobs range ends on a short batch of its own.
  const b = await runner(db, ['backfill', '--json', '--batch-size', '500', '--target-batch-ms', '0', '--jobs', '1']);
  assert.is(b.code, 0, b.stderr);
  const passes = Object.fromEntries(JSON.parse(b.stdout).passes.map((x: { pass: string }) => [x.pass, x]));
  assert.is(passes.personal_organizations.rowsChanged, late.organizationsToCreate);
  assert.is(passes.email_account_links.rowsChanged, late.emailAccountsToLink);
  // Seats are recomputed with each premium's link (pass premium_links, rule 3), pass premium_seats then finds nothing.
  const seatsAfter = await db.sql`select id, "usedSeats", "maxSeats" from "Premium" order by id`;
  const seatsChanged = seatsAfter.filter((p, i) => p.usedSeats !== seatsBefore[i].usedSeats || p.maxSeats !== seatsBefore[i].maxSeats).length;
  assert.is(seatsChanged, late.premiumSeatsToUpdate);
  assert.is(passes.premium_seats.rowsChanged, 0);
  assert.is(passes.rule_creators.rowsChanged, late.resourcesWithoutCreator.Rule);
  assert.is(passes.category_creators.rowsChanged, late.resourcesWithoutCreator.Category);
  for (const x of late.batches) assert.is(passes[x.pass].batches, x.batches, `batches of ${x.pass}`);
  const [reg] = await db.sql`select (select count(*)::int from emailai_migration.created_organization) as orgs,
    (select count(*)::int from emailai_migration.linked_premium) as links,
    (select count(distinct premium_id)::int from emailai_migration.linked_premium) as premiums`;
  assert.equal(reg, { orgs: late.organizationsToCreate, links: late.premiumLinksToCreate, premiums: late.premiumsToLink });
  const [teams] = await db.sql`select count(*)::int as n from emailai_migration.team_organization`;
  assert.is(teams.n, late.teamOrganizationsToCreate, 'team organizations created = planned');
  assert.ok(late.teamOrganizationsToCreate > 0);
  const [team] = late.teams;
  const owner = await db.sql`select "userId" from "OrganizationMember" where "organizationId" = ${'mig_team_' + team.premiumId} and role = 'OWNER'`;
  assert.equal(owner.map(o => o.userId), [team.ownerUserId], 'the planned owner of the largest team owns it');
  const [members] = await db.sql`select count(*)::int as n from "OrganizationMember" where "organizationId" = ${'mig_team_' + team.premiumId}`;
  assert.is(members.n, team.members);
  const [seat] = late.seatsPerPremium;
  const [p] = await db.sql`select "usedSeats", "maxSeats" from "Premium" where id = ${seat.premiumId}`;
  assert.equal([p.usedSeats, p.maxSeats], [seat.usedSeats, seat.maxSeats]);

  const after = JSON.parse((await runner(db, ['plan', '--json'])).stdout);
  assert.is(after.organizationsToCreate, 0);
  assert.is(after.emailAccountsToLink, 0);
  assert.is(after.premiumSeatsToUpdate, 0);
});
plan.run();

const sigint = dbSuite('operator sigint', async db => {
  await loadFixture(db.sql, { users: 3000 });
  const r = await runner(db, ['schema']);
  if (r.code !== 0) throw new Error(r.stderr);
});
sigint.test('Ctrl-C during backfill stops within a batch, is recorded as failed/interrupted, and a re-run completes', async db => {
  const run = runner(db, ['backfill', '--batch-size', '50', '--sleep-ms', '20']);
  for (let i = 0; i < 200; i++) {
    const [cp] = await db.sql`select coalesce(sum(rows_done), 0)::int as done from emailai_migration.backfill_checkpoint`;
    if (cp.done >= 200) break;
    await new Promise(r => setTimeout(r, 50));
  }
  const sent = performance.now();
  run.child.kill('SIGINT');
  const r = await run;
  const seconds = (performance.now() - sent) / 1000;
  assert.ok(r.code !== 0 && r.code !== null, `non-zero exit, got ${r.code}`);
  assert.ok(seconds < 5, `stopped in ${seconds.toFixed(2)} s`);
  assert.match(r.stderr, /interrupted by the operator/);
  const [row] = await db.sql`select status, error_message from migration_log where migration_name = 'multi_tenant_data' order by id desc limit 1`;
  assert.is(row.status, 'failed');
  assert.match(row.error_message, /interrupted/);
  const [{ unfinished }] = await db.sql`select count(*)::int as unfinished from emailai_migration.backfill_passes() p
    left join emailai_migration.backfill_checkpoint c using (pass) where c.finished is not true`;
  assert.ok(unfinished > 0, 'it stopped before the end');

  const again = await runner(db, ['backfill']);
  assert.is(again.code, 0, again.stderr);
  const verify = await runner(db, ['verify']);
  assert.is(verify.code, 0, verify.stderr);
});
sigint.run();

const jobs = dbSuite('operator sigint --jobs', async db => {
  await loadFixture(db.sql, { users: 3000 });
  const r = await runner(db, ['schema']);
  if (r.code !== 0) throw new Error(r.stderr);
});
jobs.test('Ctrl-C during a --jobs 3 pass: every key up to its checkpoint is done, and a re-run completes', async db => {
  const run = runner(db, ['backfill', '--jobs', '3', '--batch-size', '40', '--sleep-ms', '20']);
  for (let i = 0; i < 600; i++) {
    const [cp] = await db.sql`select coalesce(max(rows_done), 0)::int as done from emailai_migration.backfill_checkpoint where pass = 'rule_creators'`;
    if (cp.done >= 400) break;
    await new Promise(r => setTimeout(r, 50));
  }
  run.child.kill('SIGINT');
  const r = await run;
  assert.ok(r.code !== 0 && r.code !== null, `non-zero exit, got ${r.code}`);
  assert.match(r.stderr, /interrupted by the operator during pass rule_creators/);
  const [cp] = await db.sql`select last_key, finished from emailai_migration.backfill_checkpoint where pass = 'rule_creators'`;
  assert.ok(cp && !cp.finished && cp.last_key, `rule_creators stopped part-way: ${JSON.stringify(cp)}`);
  // The checkpoint is a prefix without a gap: nothing at or below it is left undone,
  // while above it the other ranges had done some (they are redone, changing nothing).
  const [{ undone, doneAbove }] = await db.sql`
    select count(*) filter (where r.id <= ${cp.last_key} and r."createdBy" is null and ea.id is not null)::int as undone,
           count(*) filter (where r.id > ${cp.last_key} and r."createdBy" is not null)::int as "doneAbove"
    from "Rule" r left join "EmailAccount" ea on ea.id = r."emailAccountId"`;
  assert.is(undone, 0);
  assert.ok(doneAbove > 0, 'the later ranges had started');

  const again = await runner(db, ['backfill', '--jobs', '3']);
  assert.is(again.code, 0, again.stderr);
  const verify = await runner(db, ['verify']);
  assert.is(verify.code, 0, verify.stderr);
});
jobs.run();

const COMMANDS = ['preflight', 'backup', 'plan', 'schema', 'backfill', 'verify', 'up', 'status', 'report', 'rollback',
  'repair', 'cleanup', 'monitor', 'diagnose', 'announce']; // demo starts its own embedded server: not a target command
const SECRET = 'S3cr3t-Pa55';

const masking = dbSuite('operator password masking', async db => { await loadFixture(db.sql, { users: 100 }); });
masking.test('no command prints the password of an unreachable URL or of a wrong password', async db => {
  const wrong = new URL(db.url);
  wrong.password = SECRET;
  const urls = [`postgres://postgres:${SECRET}@127.0.0.1:1/x`, wrong.toString()];
  const runs = await Promise.all(urls.flatMap(url => COMMANDS.map(async c => ({ c, url, r: await runner(db, [c], { DATABASE_URL: url }) }))));
  for (const { c, url, r } of runs) {
    assert.not.ok((r.stdout + r.stderr).includes(SECRET), `${c} printed the password:\n${r.stderr}`);
    if (['preflight', 'plan', 'status', 'verify', 'up', 'backfill', 'schema', 'report'].includes(c)) {
      assert.is(r.code, 3, `${c} against ${url.includes('127.0.0.1:1/') ? 'an unreachable host' : 'a wrong password'}: ${r.stderr}`);
      assert.match(r.stderr, url.includes('127.0.0.1:1/') ? /connection refused/ : /password authentication failed/);
    }
  }
});
masking.test('migration_log and the report never contain the real password', async db => {
  const password = decodeURIComponent(new URL(db.url).password);
  const dir = mkdtempSync(join(tmpdir(), 'emailai-report-'));
  try {
    const up = await runner(db, ['up', '--skip-preflight'], { EMAILAI_REPORT_DIR: dir });
    assert.is(up.code, 0, up.stderr);
    const [report] = readdirSync(dir);
    assert.match(report, /^emailai-migration-report-.*\.md$/);
    const text = readFileSync(join(dir, report), 'utf8');
    assert.match(text, /## Phases/);
    assert.match(text, /multi_tenant_data \| completed/);
    if (password) {
      assert.not.ok(text.includes(password));
      const [{ log }] = await db.sql`select coalesce(string_agg(m::text, ' '), '') as log from migration_log m`;
      assert.not.ok(log.includes(password));
      assert.not.ok((up.stdout + up.stderr).includes(password));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
masking.run();
