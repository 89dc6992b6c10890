// Every check of checks/*.sql, proven both ways (issue 4):
//  - a migrated fixture (1500 users + the edge cases) passes them all, by the runner
//    (`verify --json --junit`) and by psql file by file;
//  - for EVERY check file, a copy of that migrated database with exactly that invariant
//    broken makes exactly the checks that should fire fire: the exit code (1 for an
//    error-level check, 0 when only warnings), the JSON document (count, sample row ids),
//    the JUnit file (<failure> for errors, a passing case with the warning for warns)
//    and psql on the check file all name it, and no other check moves.
// The migrated fixture is built once and used as a TEMPLATE: each breakage gets its own
// `CREATE DATABASE … TEMPLATE` copy (fast, file-level), dropped afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';
import * as assert from 'uvu/assert';
import { checkQuery, listChecks } from '../lib/checks.ts';
import { CHECKS_DIR } from '../lib/paths.ts';
import { loadFixture } from './fixtures/fixtures.ts';
import { dbSuite, runner, runTs, type TestDatabase } from './helpers.ts';
import { nodes, planShape } from './plans.ts';

interface CheckDoc { name: string; severity: 'error' | 'warn'; what: string; count: number; passed: boolean; ms: number; rows: Record<string, unknown>[] }
interface VerifyDoc { command: string; passed: boolean; checks: CheckDoc[] }
interface Verified { code: number | null; doc: VerifyDoc; junit: string; stderr: string }

const CHECKS = listChecks();
const SEVERITY = new Map(CHECKS.map(c => [c.name, c.severity]));
const TMP = mkdtempSync(join(tmpdir(), 'emailai-checks-'));
process.once('exit', () => rmSync(TMP, { recursive: true, force: true }));

let clean: Verified | undefined;

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
};

let junitCounter = 0;
async function verify(url: string): Promise<Verified> {
  const file = join(TMP, `verify-${junitCounter++}.xml`);
  const r = await runTs(['verify', '--json', '--junit', file], { env: { DATABASE_URL: url } });
  let doc: VerifyDoc;
  try {
    doc = JSON.parse(r.stdout) as VerifyDoc;
  } catch {
    throw new Error(`verify --json did not print one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, doc, junit: readFileSync(file, 'utf8'), stderr: r.stderr };
}

/** JUnit testcases by name: whether each has a <failure>, and its body. */
function junitCases(xmlText: string): Map<string, { failure: boolean; body: string }> {
  const cases = new Map<string, { failure: boolean; body: string }>();
  for (const m of xmlText.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    cases.set(m[1], { failure: /<failure\b/.test(m[2]), body: m[2] });
  }
  return cases;
}

let psqlChecked = false;
function psql(url: string, file: string): string {
  if (!psqlChecked) {
    const v = spawnSync('psql', ['--version'], { encoding: 'utf8' });
    if (v.error) assert.unreachable(`psql is not on PATH (${v.error.message}): the checks must be provable the way a DBA runs them; install the PostgreSQL client (apt-get install postgresql-client)`);
    psqlChecked = true;
  }
  const r = spawnSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-f', file, url], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, `psql -f ${file} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const footer = (n: number) => (n === 1 ? '(1 row)' : `(${n} rows)`);

/** Expected effect of a breakage on one check: how many more rows, and rows (partial) the sample must hold. */
interface Fires { delta: number; rows: Record<string, unknown>[] }
type Expect = Record<string, Fires>;

interface Breakage {
  /** the check file this breakage is aimed at */
  target: string;
  title: string;
  /** breaks the copy; returns the checks that must move (and nothing else may) */
  apply(sql: Sql): Promise<Expect>;
}

const byUser = (sql: Sql, userId: string) =>
  sql<{ organization_id: string }[]>`select "organizationId" as organization_id from "OrganizationMember" where "userId" = ${userId} and role = 'OWNER'`
    .then(r => { assert.is(r.length, 1, `${userId} owns exactly one organization`); return r[0].organization_id; });

const BREAKAGES: Breakage[] = [
  {
    target: 'users_without_organization',
    title: 'a user whose only organization is gone (membership cascaded) fails users_without_organization alone',
    async apply(sql) {
      const org = await byUser(sql, 'edge_no_inbox');
      await sql`delete from "Organization" where id = ${org}`;
      return { users_without_organization: { delta: 1, rows: [{ user_id: 'edge_no_inbox', user_email: 'no.inbox@edge.test' }] } };
    },
  },
  {
    target: 'users_without_organization',
    title: 'deleting the OWNER membership of a user fails users_without_organization and organizations_without_owner',
    async apply(sql) {
      const org = await byUser(sql, 'edge_no_inbox');
      await sql`delete from "OrganizationMember" where "userId" = 'edge_no_inbox'`;
      return {
        users_without_organization: { delta: 1, rows: [{ user_id: 'edge_no_inbox' }] },
        organizations_without_owner: { delta: 1, rows: [{ organization_id: org, member_count: 0 }] },
      };
    },
  },
  {
    target: 'organizations_without_owner',
    title: 'an owner demoted to MEMBER (no inboxes) fails organizations_without_owner and users_without_organization (they own none)',
    async apply(sql) {
      const org = await byUser(sql, 'edge_no_inbox');
      await sql`update "OrganizationMember" set role = 'MEMBER' where "userId" = 'edge_no_inbox'`;
      return {
        organizations_without_owner: { delta: 1, rows: [{ organization_id: org, member_count: 1 }] },
        users_without_organization: { delta: 1, rows: [{ user_id: 'edge_no_inbox', membership_count: 1 }] },
      };
    },
  },
  {
    target: 'organizations_without_owner',
    title: 'an owner of an inbox demoted to MEMBER also makes the inbox a tenant leak',
    async apply(sql) {
      const org = await byUser(sql, 'edge_tab_name');
      await sql`update "OrganizationMember" set role = 'MEMBER' where "userId" = 'edge_tab_name'`;
      return {
        organizations_without_owner: { delta: 1, rows: [{ organization_id: org, email_account_count: 1 }] },
        // edge_tab_name is a MEMBER of a team: with their personal organization demoted, they own none
        users_without_organization: { delta: 1, rows: [{ user_id: 'edge_tab_name' }] },
        email_accounts_in_organization_owner_does_not_own: { delta: 1, rows: [{ email_account_id: 'edge_ea_tab_name', organization_id: org, owner_role_in_organization: 'MEMBER' }] },
      };
    },
  },
  {
    target: 'email_accounts_without_organization',
    title: 'an unlinked inbox fails email_accounts_without_organization alone',
    async apply(sql) {
      await sql`update "EmailAccount" set "organizationId" = null where id = 'edge_ea_tab_name'`;
      return { email_accounts_without_organization: { delta: 1, rows: [{ email_account_id: 'edge_ea_tab_name', owner_user_id: 'edge_tab_name' }] } };
    },
  },
  {
    target: 'email_accounts_in_organization_owner_does_not_own',
    title: "an inbox linked to a stranger's organization fails the tenant-leak check alone",
    async apply(sql) {
      const stranger = await byUser(sql, 'edge_no_inbox');
      await sql`update "EmailAccount" set "organizationId" = ${stranger} where id = 'edge_ea_tab_name'`;
      return {
        email_accounts_in_organization_owner_does_not_own: {
          delta: 1,
          rows: [{ email_account_id: 'edge_ea_tab_name', organization_id: stranger, owner_role_in_organization: 'not a member', organization_owner_emails: 'no.inbox@edge.test' }],
        },
      };
    },
  },
  {
    target: 'premium_seats_differ_from_members',
    title: 'a wrong usedSeats and a maxSeats below the members fail premium_seats_differ_from_members alone',
    async apply(sql) {
      await sql`update "Premium" set "usedSeats" = "usedSeats" - 1 where id = 'edge_premium_7'`;
      await sql`update "Premium" set "maxSeats" = 1 where id = 'edge_premium_admin_outside'`;
      return {
        premium_seats_differ_from_members: {
          delta: 2,
          rows: [
            { premium_id: 'edge_premium_7', organization_id: 'mig_team_edge_premium_7', used_seats: 6, expected_used_seats: 7, problem: 'usedSeats differs from members' },
            { premium_id: 'edge_premium_admin_outside', max_seats: 1, expected_max_seats: 2, problem: 'maxSeats below usedSeats, maxSeats below members, maxSeats differs from rule 3' },
          ],
        },
      };
    },
  },
  {
    target: 'premium_seats_differ_from_members',
    title: 'a member added to the organization of a premium, seats not recounted, fails premium_seats_differ_from_members alone',
    async apply(sql) {
      await sql`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId")
                values ('chk_member_invited', now(), 'MEMBER', 'edge_no_inbox', 'mig_team_edge_premium_7')`;
      return { premium_seats_differ_from_members: { delta: 1, rows: [{ premium_id: 'edge_premium_7', organization_id: 'mig_team_edge_premium_7', used_seats: 7, expected_used_seats: 8 }] } };
    },
  },
  {
    target: 'premiums_with_users_but_no_organization',
    title: 'a premium with users unlinked from its organizations fails premiums_with_users_but_no_organization alone',
    async apply(sql) {
      await sql`update "Organization" set "premiumId" = null where "premiumId" = 'edge_premium_null_access'`;
      return { premiums_with_users_but_no_organization: { delta: 1, rows: [{ premium_id: 'edge_premium_null_access', user_count: 2 }] } };
    },
  },
  {
    target: 'duplicate_organization_memberships',
    title: 'a duplicate membership (unique index dropped first) fails duplicate_organization_memberships and the schema check',
    async apply(sql) {
      const org = await byUser(sql, 'edge_no_inbox');
      await sql`drop index "OrganizationMember_userId_organizationId_key"`;
      await sql`insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId")
                values ('chk_member_duplicate', now(), 'MEMBER', 'edge_no_inbox', ${org})`;
      return {
        duplicate_organization_memberships: { delta: 1, rows: [{ user_id: 'edge_no_inbox', organization_id: org, membership_count: 2 }] },
        schema_objects_missing_or_different: { delta: 1, rows: [{ object_name: '"OrganizationMember_userId_organizationId_key"', problem: 'missing' }] },
      };
    },
  },
  {
    target: 'invalid_indexes',
    title: 'the INVALID leftover of a failed CREATE UNIQUE INDEX CONCURRENTLY fails invalid_indexes alone',
    async apply(sql) {
      // edge_four_inboxes has 4 inboxes: a unique index on "userId" cannot be built.
      const err = await sql.unsafe('CREATE UNIQUE INDEX CONCURRENTLY "EmailAccount_userId_chk_key" ON "EmailAccount" ("userId")').then(() => null, e => e as Error);
      assert.ok(err, 'the concurrent build must fail on duplicate data');
      const [left] = await sql`select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'EmailAccount_userId_chk_key'`;
      assert.is(left?.indisvalid, false, 'a failed CONCURRENTLY build leaves an INVALID index behind');
      return { invalid_indexes: { delta: 1, rows: [{ table_name: 'EmailAccount', index_name: 'EmailAccount_userId_chk_key', is_valid: false }] } };
    },
  },
  {
    target: 'invalid_indexes',
    title: 'an expected unique index marked INVALID fails invalid_indexes alone (the schema check compares definitions only)',
    async apply(sql) {
      await sql`update pg_index set indisvalid = false where indexrelid = '"OrganizationMember_userId_organizationId_key"'::regclass`;
      return {
        invalid_indexes: {
          delta: 1,
          rows: [{ index_name: 'OrganizationMember_userId_organizationId_key', is_valid: false,
                   fix: 'DROP INDEX CONCURRENTLY public."OrganizationMember_userId_organizationId_key", then run the schema phase again (it rebuilds it)' }],
        },
      };
    },
  },
  {
    target: 'foreign_keys_not_validated',
    title: 'a foreign key re-added NOT VALID fails foreign_keys_not_validated alone',
    async apply(sql) {
      await sql.unsafe(`ALTER TABLE "EmailAccount" DROP CONSTRAINT "EmailAccount_organizationId_fkey"`);
      await sql.unsafe(`ALTER TABLE "EmailAccount" ADD CONSTRAINT "EmailAccount_organizationId_fkey" FOREIGN KEY ("organizationId")
                        REFERENCES "Organization"(id) ON DELETE CASCADE ON UPDATE CASCADE NOT VALID`);
      return {
        foreign_keys_not_validated: {
          delta: 1,
          rows: [{ table_name: 'EmailAccount', constraint_name: 'EmailAccount_organizationId_fkey',
                   fix: 'ALTER TABLE public."EmailAccount" VALIDATE CONSTRAINT "EmailAccount_organizationId_fkey"' }],
        },
      };
    },
  },
  {
    target: 'schema_objects_missing_or_different',
    title: 'a missing unique index fails schema_objects_missing_or_different alone',
    async apply(sql) {
      await sql`drop index "Organization_slug_key"`;
      return { schema_objects_missing_or_different: { delta: 1, rows: [{ object_type: 'index', object_name: '"Organization_slug_key"', problem: 'missing', actual: null }] } };
    },
  },
  {
    target: 'schema_objects_missing_or_different',
    title: 'a column of another type fails schema_objects_missing_or_different alone',
    async apply(sql) {
      await sql`alter table "Premium" alter column "maxSeats" type bigint`;
      return { schema_objects_missing_or_different: { delta: 1, rows: [{ object_type: 'column', object_name: '"Premium"."maxSeats"', problem: 'different', expected: 'integer', actual: 'bigint' }] } };
    },
  },
  {
    target: 'schema_objects_missing_or_different',
    title: 'a foreign key with another ON DELETE fails schema_objects_missing_or_different alone',
    async apply(sql) {
      await sql.unsafe(`ALTER TABLE "EmailAccount" DROP CONSTRAINT "EmailAccount_organizationId_fkey"`);
      await sql.unsafe(`ALTER TABLE "EmailAccount" ADD CONSTRAINT "EmailAccount_organizationId_fkey" FOREIGN KEY ("organizationId")
                        REFERENCES "Organization"(id) ON DELETE SET NULL ON UPDATE CASCADE`);
      return {
        schema_objects_missing_or_different: {
          delta: 1,
          rows: [{ object_type: 'foreign key', object_name: '"EmailAccount_organizationId_fkey"', problem: 'different',
                   actual: 'FOREIGN KEY ON "EmailAccount" ("organizationId") REFERENCES "Organization" (id) ON DELETE SET NULL ON UPDATE CASCADE' }],
        },
      };
    },
  },
  {
    target: 'resources_without_creator',
    title: 'a rule, group, knowledge entry and category without a creator fail resources_without_creator alone',
    async apply(sql) {
      const ids: Record<string, string> = {};
      for (const t of ['Rule', 'Group', 'Knowledge', 'Category']) {
        const [row] = await sql.unsafe(`UPDATE "${t}" SET "createdBy" = NULL
                                          WHERE id = (SELECT min(id) FROM "${t}" WHERE "emailAccountId" = 'edge_ea_four_1')
                                          RETURNING id`);
        assert.ok(row, `edge_ea_four_1 has a ${t}`);
        ids[t] = row.id as string;
      }
      return {
        resources_without_creator: {
          delta: 4,
          rows: Object.entries(ids).map(([resource, id]) => ({ resource, resource_id: id, email_account_id: 'edge_ea_four_1', inbox_owner_user_id: 'edge_four_inboxes' })),
        },
      };
    },
  },
  {
    target: 'premiums_without_users',
    title: 'a premium no user holds is a warning of premiums_without_users (exit 0)',
    async apply(sql) {
      await sql`insert into "Premium" (id, "createdAt", "updatedAt", tier, "emailAccountsAccess")
                values ('chk_premium_nobody', '2000-01-01', now(), 'PRO_MONTHLY', 2)`;
      return { premiums_without_users: { delta: 1, rows: [{ premium_id: 'chk_premium_nobody', linked_organization_count: 0 }] } };
    },
  },
  {
    target: 'premiums_with_more_users_than_seats_bought',
    title: 'a premium whose users outnumber the seats bought is a warning of premiums_with_more_users_than_seats_bought (exit 0)',
    async apply(sql) {
      // the premium with the most users that is not over its seats yet: with 0 seats bought it tops the list
      const [p] = await sql<{ id: string; users: string }[]>`
        select p.id, count(*)::text as users from "Premium" p join "User" u on u."premiumId" = p.id
        group by p.id having p."emailAccountsAccess" is null or count(*) <= p."emailAccountsAccess"
        order by count(*) desc, p.id limit 1`;
      assert.ok(p && Number(p.users) > 3, 'the fixture has a premium with more than 3 users within its seats');
      // billing lowered the seats bought and set maxSeats as rule 3 says: only the warning moves
      await sql`update "Premium" set "emailAccountsAccess" = 0, "maxSeats" = "usedSeats" where id = ${p.id}`;
      return { premiums_with_more_users_than_seats_bought: { delta: 1, rows: [{ premium_id: p.id, seats_bought: 0, user_count: Number(p.users), users_over_seats: Number(p.users) }] } };
    },
  },
  {
    target: 'organizations_linked_to_premium_no_member_holds',
    title: 'an organization linked to a premium none of its members holds is a warning (exit 0)',
    async apply(sql) {
      // edge_premium_none: no user holds it; usedSeats stays 1 = the one member, so seats agree
      const org = await byUser(sql, 'edge_no_inbox');
      await sql`update "Organization" set "premiumId" = 'edge_premium_none' where id = ${org}`;
      return {
        organizations_linked_to_premium_no_member_holds: { delta: 1, rows: [{ organization_id: org, premium_id: 'edge_premium_none', member_count: 1, owner_emails: 'no.inbox@edge.test' }] },
        // linked by hand, its seats were never set by rule 3 (3 bought: maxSeats 3, not NULL)
        premium_seats_differ_from_members: { delta: 1, rows: [{ premium_id: 'edge_premium_none', organization_id: org, expected_max_seats: 3, problem: 'maxSeats differs from rule 3' }] },
      };
    },
  },
  {
    target: 'premiums_linked_to_several_organizations',
    title: 'a premium linked to a second organization fails premiums_linked_to_several_organizations and check 6 for that organization',
    async apply(sql) {
      await sql`update "Organization" set "premiumId" = 'edge_premium_null_access' where id = 'mig_org_edge_no_inbox'`;
      return {
        premiums_linked_to_several_organizations: { delta: 1, rows: [{ premium_id: 'edge_premium_null_access', organization_count: 2, holder_count: 2 }] },
        premium_seats_differ_from_members: { delta: 1, rows: [{ premium_id: 'edge_premium_null_access', organization_id: 'mig_org_edge_no_inbox', used_seats: 2, expected_used_seats: 1 }] },
        organizations_linked_to_premium_no_member_holds: { delta: 1, rows: [{ organization_id: 'mig_org_edge_no_inbox', premium_id: 'edge_premium_null_access' }] },
      };
    },
  },
  {
    target: 'premium_admins_not_holding_it',
    title: 'a billing admin who holds another premium is a warning of premium_admins_not_holding_it (exit 0)',
    async apply(sql) {
      await sql`update "User" set "premiumAdminId" = 'edge_premium_7' where id = 'edge_unicode'`;
      // (the generated users hold many such rows already: the sample of 10 need not show this one)
      return { premium_admins_not_holding_it: { delta: 1, rows: [] } };
    },
  },
  {
    target: 'users_without_organization_since_handover',
    title: 'after the handover, the new app\'s sign-up without an organization is a warning, not users_without_organization',
    async apply(sql) {
      // the handover: its migration_log row, and the window triggers gone
      await sql`insert into migration_log (migration_name, status, started_at, completed_at) values ('multi_tenant_handover', 'completed', now(), now())`;
      for (const t of ['User', 'EmailAccount', 'Rule']) await sql`alter table ${sql(t)} disable trigger user`;
      await sql`insert into "User" (id, "createdAt", "updatedAt", email) values ('chk_app_signup', now() + interval '1 second', now(), 'signup@app.test')`;
      return { users_without_organization_since_handover: { delta: 1, rows: [{ user_id: 'chk_app_signup', membership_count: 0 }] } };
    },
  },
  {
    target: 'resources_without_creator_since_handover',
    title: 'after the handover, a rule the new app creates without createdBy is a warning, not resources_without_creator',
    async apply(sql) {
      // the handover: its migration_log row, and the window triggers gone
      await sql`insert into migration_log (migration_name, status, started_at, completed_at) values ('multi_tenant_handover', 'completed', now(), now())`;
      for (const t of ['User', 'EmailAccount', 'Rule']) await sql`alter table ${sql(t)} disable trigger user`;
      await sql`insert into "Rule" (id, "createdAt", "updatedAt", name, "emailAccountId") values ('chk_app_rule', now() + interval '1 second', now(), 'app rule', 'edge_ea_tab_name')`;
      return { resources_without_creator_since_handover: { delta: 1, rows: [{ resource: 'Rule', resource_id: 'chk_app_rule', inbox_owner_user_id: 'edge_tab_name' }] } };
    },
  },
  {
    target: 'email_accounts_written_by_the_app_since_handover',
    title: 'after the handover, an inbox the new app shares into an organization its owner only belongs to is a warning, not a tenant leak',
    async apply(sql) {
      // the handover: its migration_log row, and the window triggers gone
      await sql`insert into migration_log (migration_name, status, started_at, completed_at) values ('multi_tenant_handover', 'completed', now(), now())`;
      for (const t of ['User', 'EmailAccount', 'Rule']) await sql`alter table ${sql(t)} disable trigger user`;
      await sql`update "EmailAccount" set "organizationId" = 'mig_team_edge_premium_7', "updatedAt" = now() + interval '1 second' where id = 'edge_ea_tab_name'`;
      return { email_accounts_written_by_the_app_since_handover: { delta: 1, rows: [{ email_account_id: 'edge_ea_tab_name', organization_id: 'mig_team_edge_premium_7', owner_role_in_organization: 'MEMBER' }] } };
    },
  },
  {
    target: 'organizations_without_owner_after_account_deletion',
    title: 'a user deleted with the window triggers gone (the app\'s account merge): their organization is a warning, not organizations_without_owner',
    async apply(sql) {
      await sql`alter table "User" disable trigger emailai_migration_user_deleted`;
      await sql`delete from "Knowledge" where "emailAccountId" in (select id from "EmailAccount" where "userId" = 'edge_no_inbox')`;
      await sql`delete from "User" where id = 'edge_no_inbox'`;
      await sql`alter table "User" enable trigger emailai_migration_user_deleted`;
      return { organizations_without_owner_after_account_deletion: { delta: 1, rows: [{ organization_id: 'mig_org_edge_no_inbox', member_count: 0, email_account_count: 0 }] } };
    },
  },
];

const s = dbSuite('checks', async (db: TestDatabase) => {
  await loadFixture(db.sql, { users: 1500, edgeCases: true });
  const up = await runner(db, ['up', '--skip-preflight']);
  assert.is(up.code, 0, `up on the fixture: exit ${up.code}\n${up.stderr.slice(-4000)}`);
  // The migrated database becomes the template: nobody may stay connected to it.
  await db.sql.end({ timeout: 5 });
  clean = await verify(db.url);
});

const failingSet = (doc: VerifyDoc) => doc.checks.filter(c => !c.passed).map(c => c.name).sort();
const byName = (doc: VerifyDoc) => new Map(doc.checks.map(c => [c.name, c]));

s.test('the migrated fixture passes every error-level check by the runner: exit 0, JSON and JUnit agree', async () => {
  const v = clean!;
  assert.is(v.code, 0, v.stderr);
  assert.is(v.doc.command, 'verify');
  assert.is(v.doc.passed, true);
  assert.equal(v.doc.checks.map(c => c.name).sort(), CHECKS.map(c => c.name).sort(), 'the JSON names every check file');
  for (const c of v.doc.checks) {
    assert.is(c.severity, SEVERITY.get(c.name), `${c.name}: severity from the file header`);
    if (c.severity === 'error') {
      assert.is(c.count, 0, `${c.name} holds on the migrated fixture: ${JSON.stringify(c.rows)}`);
      assert.is(c.passed, true);
    }
  }
  // The fixture's edge cases are warnings by design: a premium nobody holds, customers over their seats.
  // The fixture's edge cases are warnings by design: a premium nobody holds, customers over their seats, an admin outside their premium.
  assert.equal(failingSet(v.doc), ['premium_admins_not_holding_it', 'premiums_with_more_users_than_seats_bought', 'premiums_without_users']);
  const cases = junitCases(v.junit);
  assert.is(cases.size, CHECKS.length, 'one JUnit testcase per check');
  assert.equal([...cases].filter(([, c]) => c.failure).map(([n]) => n), [], 'no <failure> in the JUnit file');
  assert.match(v.junit, new RegExp(`<testsuite name="verify" tests="${CHECKS.length}" failures="0"`));
});

s.test('the migrated fixture passes every check by psql, file by file: (0 rows) for errors, the runner\'s count for warnings', async (db) => {
  const counts = byName(clean!.doc);
  for (const check of CHECKS) {
    const out = psql(db.url, join(CHECKS_DIR, `${check.name}.sql`));
    const expected = check.severity === 'error' ? 0 : counts.get(check.name)!.count;
    assert.ok(out.includes(footer(expected)), `psql -f checks/${check.name}.sql prints ${footer(expected)}; got:\n${out.slice(-500)}`);
  }
});

// Issue 18: the wrapper once planned every check for its first 10 rows (see checkQuery).
s.test('verify plans each check as the check alone: the wrapper that counts and samples changes no plan', async (db) => {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const plan = async (text: string) => (await sql.unsafe(`explain (format json) ${text}`))[0]['QUERY PLAN'][0].Plan;
  try {
    for (const check of CHECKS) {
      const alone = planShape(await plan(check.select));
      const wrapped = await plan(checkQuery(check));
      const kept = [...nodes(wrapped)].some(n => planShape(n) === alone);
      assert.ok(kept, `${check.name}: alone\n  ${alone}\nunder the wrapper\n  ${planShape(wrapped)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
});

let copies = 0;
async function onCopy(db: TestDatabase, breakage: Breakage): Promise<void> {
  const adminUrl = withDatabase(db.url, 'postgres');
  const name = `${db.name}_c${copies++}`;
  const url = withDatabase(db.url, name);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`create database ${admin(name)} template ${admin(db.name)}`;
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    let expect: Expect;
    try {
      expect = await breakage.apply(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const base = byName(clean!.doc);
    const v = await verify(url);
    const got = byName(v.doc);
    const fired = Object.keys(expect).sort();
    const errorsFired = fired.filter(n => SEVERITY.get(n) === 'error');

    // exit code and the document's verdict
    assert.is(v.code, errorsFired.length ? 1 : 0, `exit code (error-level checks fired: ${errorsFired.join(', ') || 'none'})\n${v.stderr.slice(-3000)}`);
    assert.is(v.doc.passed, errorsFired.length === 0);
    // exactly the expected checks moved, and exactly these (plus the fixture's warnings) fail
    const moved = v.doc.checks.filter(c => c.count !== base.get(c.name)!.count).map(c => c.name).sort();
    assert.equal(moved, fired, 'the checks whose count changed');
    assert.equal(failingSet(v.doc), [...new Set([...failingSet(clean!.doc), ...fired])].sort(), 'the checks that fail');
    for (const [name, f] of Object.entries(expect)) {
      const c = got.get(name)!;
      assert.is(c.count, base.get(name)!.count + f.delta, `${name}: count`);
      assert.is(c.passed, false);
      for (const want of f.rows) {
        const hit = c.rows.some(r => Object.entries(want).every(([k, val]) => r[k] === val));
        assert.ok(hit, `${name}: a sample row matching ${JSON.stringify(want)}; rows: ${JSON.stringify(c.rows)}`);
      }
    }
    // JUnit: a <failure> exactly for the error-level checks that fired; warnings pass with the warning shown
    const cases = junitCases(v.junit);
    assert.is(cases.size, CHECKS.length, 'one JUnit testcase per check');
    assert.equal([...cases].filter(([, c]) => c.failure).map(([n]) => n).sort(), errorsFired, 'JUnit <failure> testcases');
    assert.match(v.junit, new RegExp(`<testsuite name="verify" tests="${CHECKS.length}" failures="${errorsFired.length}"`));
    for (const [name, f] of Object.entries(expect)) {
      const c = cases.get(name)!;
      if (SEVERITY.get(name) === 'warn') assert.ok(c.body.includes(`warning: ${got.get(name)!.count} row(s)`), `JUnit ${name}: the warning in system-out`);
      else assert.ok(c.body.includes(`${got.get(name)!.count} offending row(s)`), `JUnit ${name}: the count in the failure message`);
      for (const want of f.rows) for (const val of Object.values(want)) {
        if (typeof val === 'string' && /^(edge_|chk_|mig_|c0)/.test(val)) assert.ok(c.body.includes(val), `JUnit ${name} names ${val}`);
      }
    }
    // psql on the file lists the same rows
    for (const [name, f] of Object.entries(expect)) {
      const out = psql(url, join(CHECKS_DIR, `${name}.sql`));
      assert.ok(out.includes(footer(got.get(name)!.count)), `psql -f checks/${name}.sql prints ${footer(got.get(name)!.count)}:\n${out.slice(-500)}`);
      for (const want of f.rows) for (const val of Object.values(want)) {
        if (typeof val === 'string' && /^(edge_|chk_|mig_|c0)/.test(val)) assert.ok(out.includes(val), `psql -f checks/${name}.sql shows ${val}`);
      }
    }
  } finally {
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`.catch(() => {});
    await admin`drop database if exists ${admin(name)}`.catch(() => {});
    await admin.end({ timeout: 5 });
  }
}

for (const b of BREAKAGES) s.test(b.title, db => onCopy(db, b));

s.test('every check file has a breakage here that targets it', () => {
  const targeted = new Set(BREAKAGES.map(b => b.target));
  for (const c of CHECKS) assert.ok(targeted.has(c.name), `no test breaks checks/${c.name}.sql`);
  assert.is(CHECKS.length, 20);
});

s.run();
