// Issue 18: a backfill batch costs the same at any size. Every statement one batch of
// each pass runs (sql/310, the rules of sql/300 it calls, the registry's triggers of
// sql/020 and the foreign-key checks they cause) is read through auto_explain, on a
// database of 100,000 bulk users (test/plans.ts) plus FRESH users the migration has not
// seen: no statement may scan a table that grows with the users (BIG below), walk one
// of its indexes from end to end (an Index Scan without a condition: the outer side of
// a merge join), or read a range of it as wide as a table. Any of these would make the
// batch grow with the tables, and the pass quadratic.
//
// Why 100,000: plans are chosen by cost; at 10,000 a scan is cheap, and at 1,000,000
// the planner finds some probes by itself (trigger_plans could not see what this sees).
// ~25 s for the file.
//
// The fresh rows are added as rows from before the migration (session_replication_role
// = replica: no window trigger gives them an organization), then ANALYZE, then each
// pass's batch over exactly those keys, committed, in the passes' order. auto_explain
// needs a superuser (LOAD): the observation only; the batches run as installed.
import * as assert from 'uvu/assert';
import { dbSuite, runner, type TestDatabase } from './helpers.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { bulkSql, explainSession, type Logged, nodes, planText, readsWholeRelation, ROLLBACK } from './plans.ts';

const BULK = 100_000;
const FRESH = 2_000; // one batch of the default --batch-size
// A table that grows with the users (one row or more per user: 100,000+ here).
// The premium side (Premium, linked_premium, team_membership: 12,500-16,000 rows, an
// eighth of the users) is left to the planner's costs: for a batch of 250 premiums it
// reads those tables whole at this size, which is cheaper here than 250 probes.
const BIG = 25_000;

// n users the migration has not seen, as rows from before it: ids <tag>_u_00001 …,
// every 8th a premium (<tag>_p_…) held by 1 to 3 of them.
const newUsersSql = (tag: string, n: number) => `
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE new_user ON COMMIT DROP AS
SELECT i, '${tag}_u_' || lpad(i::text, 5, '0') AS id, '${tag}' || lpad(i::text, 5, '0') || '@${tag}.test' AS email,
       CASE WHEN i / 8 >= 1 AND i % 8 < 1 + (i / 8) % 3 THEN '${tag}_p_' || lpad((i / 8)::text, 5, '0') END AS premium_id,
       i % 8 = 0 AS first_holder
FROM generate_series(1, ${n}) i;
INSERT INTO "Premium" (id, "updatedAt", tier, "emailAccountsAccess")
SELECT DISTINCT premium_id, now(), 'BUSINESS_MONTHLY'::"PremiumTier", 3 FROM new_user WHERE premium_id IS NOT NULL;
INSERT INTO "User" (id, "updatedAt", name, email, "premiumId", "premiumAdminId")
SELECT id, now(), 'Fresh User ' || i, email, premium_id, CASE WHEN first_holder THEN premium_id END FROM new_user;
INSERT INTO "Account" (id, "updatedAt", "userId", type, provider, "providerAccountId")
SELECT '${tag}_a_' || lpad(i::text, 5, '0'), now(), id, 'oauth', 'google', '${tag}_a_' || lpad(i::text, 5, '0') FROM new_user;
INSERT INTO "EmailAccount" (id, "updatedAt", email, "userId", "accountId")
SELECT '${tag}_e_' || lpad(i::text, 5, '0'), now(), email, id, '${tag}_a_' || lpad(i::text, 5, '0') FROM new_user;
INSERT INTO "Rule" (id, "updatedAt", name, "emailAccountId", instructions)
SELECT '${tag}_r_' || lpad(i::text, 5, '0'), now(), 'Newsletters', '${tag}_e_' || lpad(i::text, 5, '0'), 'archive' FROM new_user;
INSERT INTO "Group" (id, "updatedAt", name, "emailAccountId")
SELECT '${tag}_g_' || lpad(i::text, 5, '0'), now(), 'Team', '${tag}_e_' || lpad(i::text, 5, '0') FROM new_user;
INSERT INTO "Knowledge" (id, "updatedAt", title, content, "emailAccountId")
SELECT '${tag}_k_' || lpad(i::text, 5, '0'), now(), 'Pricing', 'See the list.', '${tag}_e_' || lpad(i::text, 5, '0') FROM new_user;
INSERT INTO "Category" (id, "updatedAt", name, "emailAccountId")
SELECT '${tag}_c_' || lpad(i::text, 5, '0'), now(), 'Newsletter', '${tag}_e_' || lpad(i::text, 5, '0') FROM new_user;
`;

const s = dbSuite(`backfill batch plans at ${BULK.toLocaleString('en-US')} users`, async db => {
  await loadFixture(db.sql, { users: 300 });
  for (const phase of ['schema', 'backfill']) {
    const r = await runner(db, [phase]);
    if (r.code !== 0) throw new Error(`${phase} failed (${r.code}): ${r.stderr.slice(-4000)}`);
  }
  await db.sql.begin(tx => tx.unsafe(bulkSql(BULK)).simple());
  await db.sql.begin(tx => tx.unsafe(newUsersSql('fresh', FRESH)).simple());
  await db.sql`analyze`;
});

/** The tables over BIG rows, as the statistics say. */
async function bigTables(db: TestDatabase): Promise<Set<string>> {
  return new Set((await db.sql`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname in ('public', 'emailai_migration') and c.reltuples > ${BIG}`).map(r => r.relname as string));
}

interface Walk { pass: string; relation: string; node: string; text: string; plan: any }

/** Scans of a big relation, and walks of a big relation's index with no condition. */
function wholeTableReads(pass: string, logged: Logged[], big: Set<string>): Walk[] {
  const found: Walk[] = [];
  for (const l of logged) {
    for (const n of nodes(l.plan)) {
      const relation = n['Relation Name'] as string | undefined;
      if (!relation || !big.has(relation)) continue;
      // Or an index range as wide as a table ("premiumId" IS NULL of every organization).
      const wideRange = (n['Plan Rows'] ?? 0) >= BIG;
      if (readsWholeRelation(n) || wideRange) found.push({ pass, relation, node: n['Node Type'], text: l.text, plan: l.plan });
    }
  }
  return found;
}

const describe = (walks: Walk[]) => {
  const seen = new Set<string>();
  return walks.filter(w => !seen.has(w.text) && seen.add(w.text))
    .map(w => `${w.pass}: ${w.node} over (nearly) all of "${w.relation}" in\n${w.text.trim()}\n${planText(w.plan)}`).join('\n\n');
};

// The passes and the prefix of their driving table's fresh keys.
const FRESH_KEYS: Record<string, string> = {
  personal_organizations: 'fresh_u_', email_account_links: 'fresh_e_', premium_links: 'fresh_p_', premium_seats: 'fresh_p_',
  rule_creators: 'fresh_r_', group_creators: 'fresh_g_', knowledge_creators: 'fresh_k_', category_creators: 'fresh_c_',
};

s.test('one batch of every pass over fresh keys reads by key: no scan, no whole-index walk, no range of 25,000 rows of a table that grows with the users', async db => {
  const passes = (await db.sql`select pass from emailai_migration.backfill_passes() order by ordinal`).map(r => r.pass as string);
  assert.equal([...passes].sort(), Object.keys(FRESH_KEYS).sort(), 'every pass has its fresh keys here');
  const big = await bigTables(db);
  assert.ok(['Organization', 'OrganizationMember', 'EmailAccount', 'Rule', 'created_organization'].every(t => big.has(t)), [...big].join(', '));

  const walks: Walk[] = [];
  const changed: Record<string, number> = {};
  for (const pass of passes) {
    const { sql, logged } = await explainSession(db.url);
    try {
      const prefix = FRESH_KEYS[pass];
      const [r] = await sql`select rows_seen, rows_changed from emailai_migration.backfill_batch(${pass}, ${prefix}, ${FRESH * 2}, ${prefix + '~'}, true)`;
      changed[pass] = r.rows_changed;
      assert.ok(r.rows_seen > 0, `${pass}: the batch saw the fresh keys`);
    } finally {
      await sql.end({ timeout: 5 });
    }
    assert.ok(logged.length > 1, `${pass}: auto_explain logged its statements`);
    walks.push(...wholeTableReads(pass, logged, big));
  }
  assert.ok(walks.length === 0, describe(walks));
  // The batches did their work on the fresh rows (a plan of a batch that wrote nothing proves little).
  assert.equal(changed.personal_organizations, FRESH, JSON.stringify(changed));
  for (const pass of ['email_account_links', 'rule_creators', 'group_creators', 'knowledge_creators', 'category_creators']) {
    assert.equal(changed[pass], FRESH, `${pass}: ${JSON.stringify(changed)}`);
  }
  assert.ok(changed.premium_links > 0, JSON.stringify(changed));
});

s.test('the fresh users ended as the rules say: each in a personal organization with its inbox', async db => {
  const [c] = await db.sql`
    select count(*)::int as users,
           count(*) filter (where exists (select 1 from "OrganizationMember" m where m."userId" = u.id and m.role = 'OWNER'))::int as owners,
           count(*) filter (where exists (select 1 from "EmailAccount" e where e."userId" = u.id and e."organizationId" is not null))::int as linked
    from "User" u where u.id like 'fresh\\_u\\_%'`;
  assert.equal(c, { users: FRESH, owners: FRESH, linked: FRESH });
  const r = await runner(db, ['verify']);
  const lines = (r.stdout + r.stderr).split('\n');
  const failed = lines.flatMap((l, i) => /✗/.test(l) ? lines.slice(i, i + 3) : []).join('\n');
  assert.is(r.code, 0, failed || r.stderr.slice(-3000));
});

// The plans above are the planner's choice on fresh statistics. Mid-backfill they are
// not fresh: taken when no organization had a premium, or before half the memberships
// existed, they made the premium pass hash all of "Organization" and
// "OrganizationMember" in every batch (500 ms of a 2,000-premium batch at 100,000
// users, growing with the tables), and read every unlinked organization through the
// "premiumId" index. So the premium pass must probe by construction: with nested
// loops turned off, which makes the planner prefer what a misestimate would, one
// batch of new premiums still reads those tables by key. Rolled back.
s.test('a premium_links batch probes by construction: still with nested loops turned off', async db => {
  await db.sql.begin(tx => tx.unsafe(newUsersSql('stale', 400)).simple());
  for (const [pass, prefix] of [['personal_organizations', 'stale_u_'], ['email_account_links', 'stale_e_']]) {
    await db.sql`select emailai_migration.backfill_batch(${pass}, ${prefix}, 1000, ${prefix + '~'}, true)`;
  }
  const big = await bigTables(db);
  const { sql, logged } = await explainSession(db.url);
  let changed = 0;
  try {
    await sql.begin(async tx => {
      await tx`set local enable_nestloop = off`;
      const [r] = await tx`select rows_changed from emailai_migration.backfill_batch('premium_links', 'stale_p_', 1000, 'stale_p_~', true)`;
      changed = r.rows_changed;
      throw ROLLBACK;
    }).catch(e => { if (e !== ROLLBACK) throw e; });
  } finally {
    await sql.end({ timeout: 5 });
  }
  assert.ok(changed > 0, 'the batch linked the new premiums');
  const walks = wholeTableReads('premium_links', logged, big);
  assert.ok(walks.length === 0, describe(walks));
});

s.run();
