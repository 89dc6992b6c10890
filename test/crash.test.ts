// Crash safety: the runner killed with SIGKILL at a random instant during `schema`,
// `rollback --schema`, `backfill` and `rollback --orgs`, then the same command run
// again: it completes, and the database equals the one an uninterrupted run leaves
// (createdAt/updatedAt of rows created at run time ignored; ids are deterministic).
import * as assert from 'uvu/assert';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { catalogSnapshot, tableChecksums } from './snapshot.ts';
import { loadFixture } from './fixtures/fixtures.ts';

const TIMESTAMPS = ['createdAt', 'updatedAt'];
const BATCH = ['--batch-size', '25'];
const killed: Record<string, number> = {};

async function ok(db: TestDatabase, args: string[]) {
  const r = await runner(db, args);
  assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
}

async function timed(db: TestDatabase, args: string[]): Promise<number> {
  const started = performance.now();
  await ok(db, args);
  return performance.now() - started;
}

/**
 * Starts the command and SIGKILLs it after a random delay within its uninterrupted
 * run time. Then waits until the killed session's backend is gone (the server notices
 * a dead client at its next read; an operator would wait the same way, or terminate it).
 */
async function killAtRandom(db: TestDatabase, args: string[], runtimeMs: number, label: string): Promise<string> {
  const delay = Math.round(runtimeMs * (0.2 + Math.random() * 0.8));
  const run = runner(db, args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
  const r = await run;
  clearTimeout(timer);
  if (r.code === null) killed[label] = (killed[label] ?? 0) + 1;
  const waitStart = performance.now();
  for (let i = 0; ; i++) {
    const [{ n }] = await db.sql`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'emailai-org-migration'`;
    if (n === 0) break;
    if (i === 50) {
      await db.sql`select pg_terminate_backend(pid) from pg_stat_activity
                   where datname = current_database() and application_name = 'emailai-org-migration'`;
    }
    await new Promise(res => setTimeout(res, 100));
  }
  if (process.env.CRASH_DEBUG) console.error(`${label}: delay ${delay} ms of ${Math.round(runtimeMs)}, exit ${r.code}, waited ${Math.round(performance.now() - waitStart)} ms`);
  return `${args.join(' ')} killed after ${delay} ms (exit ${r.code})`;
}

// ---------------------------------------------------------------- schema phase
const schema = dbSuite('crash during schema and rollback --schema', async db => {
  await loadFixture(db.sql, { users: 300 });
});

schema.test('schema and rollback --schema, killed at random and run again, end as uninterrupted runs', async db => {
  const original = { catalog: await catalogSnapshot(db.sql), content: await tableChecksums(db.sql) };
  const upMs = await timed(db, ['schema']);
  const migrated = { catalog: await catalogSnapshot(db.sql), content: await tableChecksums(db.sql) };
  const downMs = await timed(db, ['rollback', '--schema']);
  assert.equal(await catalogSnapshot(db.sql), original.catalog);

  for (let trial = 0; trial < (Number(process.env.CRASH_TRIALS) || 4); trial++) {
    const up = await killAtRandom(db, ['schema'], upMs, 'schema');
    await ok(db, ['schema']);
    assert.equal(await catalogSnapshot(db.sql), migrated.catalog, up);
    assert.equal(await tableChecksums(db.sql), migrated.content, up);

    const down = await killAtRandom(db, ['rollback', '--schema'], downMs, 'rollback --schema');
    await ok(db, ['rollback', '--schema']);
    assert.equal(await catalogSnapshot(db.sql), original.catalog, down);
    assert.equal(await tableChecksums(db.sql), original.content, down);
  }
});

schema.run();

// ---------------------------------------------------------------- backfill
const RESET_BACKFILL = `
  update "EmailAccount" set "organizationId" = null where "organizationId" is not null;
  delete from "OrganizationMember";
  delete from "Organization";
  update "Premium" set "usedSeats" = 1, "maxSeats" = null where "usedSeats" <> 1 or "maxSeats" is not null;
  update "Rule" set "createdBy" = null where "createdBy" is not null;
  update "Group" set "createdBy" = null where "createdBy" is not null;
  update "Knowledge" set "createdBy" = null where "createdBy" is not null;
  update "Category" set "createdBy" = null where "createdBy" is not null;
  delete from emailai_migration.created_organization;
  delete from emailai_migration.linked_email_account;
  delete from emailai_migration.linked_premium;
  delete from emailai_migration.backfill_checkpoint;`;

const backfill = dbSuite('crash during backfill', async db => {
  await loadFixture(db.sql, { users: 250 });
  await ok(db, ['schema']);
});

backfill.test('backfill killed at random and run again ends as an uninterrupted backfill', async db => {
  const before = await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS });
  const ms = await timed(db, ['backfill', ...BATCH]);
  const expected = await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS });
  await db.sql.unsafe(RESET_BACKFILL);
  assert.equal(await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS }), before, 'the reset gives back the pre-backfill state');

  for (let trial = 0; trial < (Number(process.env.CRASH_TRIALS) || 6); trial++) {
    const what = await killAtRandom(db, ['backfill', ...BATCH], ms, 'backfill');
    await ok(db, ['backfill', ...BATCH]);
    assert.equal(await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS }), expected, what);
    await db.sql.unsafe(RESET_BACKFILL);
  }
});

backfill.run();

// ---------------------------------------------------------------- rollback --orgs
const rollback = dbSuite('crash during rollback --orgs', async db => {
  await loadFixture(db.sql, { users: 250 });
  await ok(db, ['up', '--skip-preflight']);
});

rollback.test('rollback --orgs killed at random and run again ends as an uninterrupted rollback', async db => {
  let ms = await timed(db, ['rollback', '--orgs', ...BATCH]);
  const expected = await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS });
  // A second measure: the machine is shared, one slow run would make every kill late.
  await ok(db, ['backfill']);
  ms = Math.min(ms, await timed(db, ['rollback', '--orgs', ...BATCH]));
  for (let trial = 0; trial < (Number(process.env.CRASH_TRIALS) || 6); trial++) {
    await ok(db, ['backfill']);
    const what = await killAtRandom(db, ['rollback', '--orgs', ...BATCH], ms, 'rollback --orgs');
    await ok(db, ['rollback', '--orgs', ...BATCH]);
    assert.equal(await tableChecksums(db.sql, { ignoreColumns: TIMESTAMPS }), expected, what);
  }
});

rollback.test('every phase had runs actually killed mid-run (the kills were not all too late)', async () => {
  for (const label of ['schema', 'rollback --schema', 'backfill', 'rollback --orgs']) {
    assert.ok((killed[label] ?? 0) >= 1, `runs actually killed: ${JSON.stringify(killed)}`);
  }
});

rollback.run();
