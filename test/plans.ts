// Reading plans at scale, for the plan tests (trigger_plans, backfill_plans; checks
// compares plan shapes): the bulk data, added set-based as the backfill would have left
// it, and a session whose every statement's plan, nested ones included, arrives as a
// NOTICE (auto_explain, which a superuser LOADs: the one documented exception to
// "nothing needs superuser").
import postgres, { type Sql } from 'postgres';

// The bulk: per user one "Account", one inbox, one rule, and a personal organization
// with its OWNER membership, an inbox link and the registry rows; every 8th user a
// premium (one holder, or a team of 2 or 3 with its team organization, memberships and
// seats); per second inbox a group, a knowledge entry and a category. Real rows, not
// faked statistics. The secondary indexes are built after the load. Run it in one
// transaction, as a superuser (session_replication_role = replica: the rows are what
// the triggers would write, so they must not fire again); then ANALYZE.
// Users n = 1..n; premium k = 1..n/8 is held by users 8k .. 8k+size-1, size 1
// for an odd k, 2 for k = 2 mod 4, 3 for k = 0 mod 4, cut to the users there are
// (the last premium's); the first holder is its admin.
export const bulkSql = (n: number) => `
SET LOCAL session_replication_role = replica;
SET LOCAL maintenance_work_mem = '256MB';
-- The secondary indexes (every index that backs no constraint: the app's, the
-- migration's, the package's) are dropped for the load and built again after it,
-- each from its own definition (pg_get_indexdef): a sorted build, not ~30M inserts.
-- Same names, same definitions; the primary keys stay (their keys grow in load order).
CREATE TEMP TABLE bulk_index ON COMMIT DROP AS
SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('public', 'emailai_migration')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM bulk_index LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP;
END $$;
CREATE TEMP TABLE bulk_user ON COMMIT DROP AS
SELECT i, 'bulk_u_' || lpad(i::text, 7, '0') AS id, 'bulk' || lpad(i::text, 7, '0') || '@bulk.test' AS email,
       'Bulk User ' || i AS name,
       timestamp '2024-01-01' + i * interval '1 second' AS ts,
       CASE WHEN i / 8 >= 1 AND i % 8 < s.size THEN 'bulk_p_' || lpad((i / 8)::text, 6, '0') END AS premium_id,
       s.size, i % 8 = 0 AS first_holder
FROM generate_series(1, ${n}) i
CROSS JOIN LATERAL (SELECT least(CASE WHEN (i / 8) % 2 = 1 THEN 1 WHEN (i / 8) % 4 = 2 THEN 2 ELSE 3 END,
                                 ${n} - (i / 8) * 8 + 1) AS size) s;

INSERT INTO "Premium" (id, "createdAt", "updatedAt", tier, "emailAccountsAccess", "usedSeats", "maxSeats")
SELECT 'bulk_p_' || lpad(k::text, 6, '0'), '2024-01-01', '2024-01-01', 'BUSINESS_MONTHLY', 3, s.size, greatest(3, s.size)
FROM generate_series(1, ${n} / 8) k
CROSS JOIN LATERAL (SELECT least(CASE WHEN k % 2 = 1 THEN 1 WHEN k % 4 = 2 THEN 2 ELSE 3 END, ${n} - 8 * k + 1) AS size) s;

INSERT INTO "User" (id, "createdAt", "updatedAt", name, email, "premiumId", "premiumAdminId")
SELECT id, ts, ts, name, email, premium_id, CASE WHEN first_holder THEN premium_id END FROM bulk_user;

INSERT INTO "Account" (id, "createdAt", "updatedAt", "userId", type, provider, "providerAccountId")
SELECT 'bulk_a_' || lpad(i::text, 7, '0'), ts, ts, id, 'oauth', 'google', 'bulk_a_' || lpad(i::text, 7, '0') FROM bulk_user;

-- Personal organizations; one holding its holder's premium alone is linked to it.
INSERT INTO "Organization" (id, "createdAt", "updatedAt", name, slug, "premiumId")
SELECT 'mig_org_' || id, ts, ts, name || '''s Organization', 'bulk' || lpad(i::text, 7, '0') || '-' || substr(md5(id), 1, 6),
       CASE WHEN size = 1 THEN premium_id END
FROM bulk_user;
INSERT INTO "Organization" (id, "createdAt", "updatedAt", name, slug, "premiumId")
SELECT 'mig_team_' || premium_id, ts, ts, name || '''s Team', 'bulk' || lpad(i::text, 7, '0') || '-' || substr(md5('mig_team_' || premium_id), 1, 6), premium_id
FROM bulk_user WHERE premium_id IS NOT NULL AND size > 1 AND first_holder;

INSERT INTO "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
SELECT 'mig_mem_' || id, ts, ts, 'OWNER', id, 'mig_org_' || id FROM bulk_user;
INSERT INTO "OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
SELECT 'mig_tmem_' || md5(premium_id || '/' || id), ts + interval '1 millisecond', ts,
       CASE WHEN first_holder THEN 'OWNER' ELSE 'MEMBER' END::"OrganizationRole", id, 'mig_team_' || premium_id
FROM bulk_user WHERE premium_id IS NOT NULL AND size > 1 ORDER BY 1;

INSERT INTO "EmailAccount" (id, "createdAt", "updatedAt", email, "userId", "accountId", "organizationId")
SELECT 'bulk_e_' || lpad(i::text, 7, '0'), ts, ts, email, id, 'bulk_a_' || lpad(i::text, 7, '0'), 'mig_org_' || id FROM bulk_user;

INSERT INTO "Rule" (id, "createdAt", "updatedAt", name, "emailAccountId", instructions, "createdBy")
SELECT 'bulk_r_' || lpad(i::text, 7, '0'), ts, ts, 'Newsletters', 'bulk_e_' || lpad(i::text, 7, '0'), 'archive newsletters', id FROM bulk_user;
INSERT INTO "Group" (id, "createdAt", "updatedAt", name, "emailAccountId", "createdBy")
SELECT 'bulk_g_' || lpad(i::text, 7, '0'), ts, ts, 'Team', 'bulk_e_' || lpad(i::text, 7, '0'), id FROM bulk_user WHERE i % 2 = 0;
INSERT INTO "Knowledge" (id, "createdAt", "updatedAt", title, content, "emailAccountId", "createdBy")
SELECT 'bulk_k_' || lpad(i::text, 7, '0'), ts, ts, 'Pricing', 'See the price list.', 'bulk_e_' || lpad(i::text, 7, '0'), id FROM bulk_user WHERE i % 2 = 0;
INSERT INTO "Category" (id, "createdAt", "updatedAt", name, "emailAccountId", "createdBy")
SELECT 'bulk_c_' || lpad(i::text, 7, '0'), ts, ts, 'Newsletter', 'bulk_e_' || lpad(i::text, 7, '0'), id FROM bulk_user WHERE i % 2 = 0;

-- The registry, as the backfill writes it (its statement trigger, which fills
-- written_organization and created_membership, does not fire under replica).
INSERT INTO emailai_migration.created_organization (organization_id, user_id, membership_id, created_by)
SELECT 'mig_org_' || id, id, 'mig_mem_' || id, 'backfill' FROM bulk_user;
INSERT INTO emailai_migration.written_organization (organization_id, name, slug)
SELECT o.id, o.name, o.slug FROM "Organization" o WHERE o.id LIKE 'mig\\_org\\_bulk\\_%';
INSERT INTO emailai_migration.created_membership (membership_id, organization_id, user_id, role)
SELECT 'mig_mem_' || id, 'mig_org_' || id, id, 'OWNER' FROM bulk_user;
INSERT INTO emailai_migration.linked_email_account (email_account_id, organization_id)
SELECT 'bulk_e_' || lpad(i::text, 7, '0'), 'mig_org_' || id FROM bulk_user;
INSERT INTO emailai_migration.team_organization (organization_id, premium_id, created_by, name, slug)
SELECT o.id, o."premiumId", 'backfill', o.name, o.slug FROM "Organization" o WHERE o.id LIKE 'mig\\_team\\_bulk\\_%';
INSERT INTO emailai_migration.team_membership (membership_id, organization_id, user_id)
SELECT 'mig_tmem_' || md5(premium_id || '/' || id), 'mig_team_' || premium_id, id
FROM bulk_user WHERE premium_id IS NOT NULL AND size > 1 ORDER BY 1;
INSERT INTO emailai_migration.linked_premium (organization_id, premium_id)
SELECT o.id, o."premiumId" FROM "Organization" o WHERE o.id LIKE 'mig\\_%\\_bulk\\_%' AND o."premiumId" IS NOT NULL;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM bulk_index LOOP EXECUTE r.def; END LOOP;
END $$;
`;

export interface Logged { text: string; plan: any }

/** A session with auto_explain: every statement's plan, nested ones included, as a NOTICE. */
export async function explainSession(url: string): Promise<{ sql: Sql; logged: Logged[] }> {
  const logged: Logged[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: n => {
      const m = /plan:\s*(\{[\s\S]*\})\s*$/.exec(n.message);
      if (!m) return;
      const doc = JSON.parse(m[1]);
      logged.push({ text: doc['Query Text'], plan: doc.Plan });
    },
  });
  await sql.unsafe(`LOAD 'auto_explain'`);
  await sql.unsafe(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
    SET auto_explain.log_analyze = off; SET auto_explain.log_format = json; SET auto_explain.log_level = notice;
    SET client_min_messages = notice`);
  return { sql, logged };
}

export function* nodes(plan: any): Generator<any> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

/** A plan as EXPLAIN prints it, in short: one line per node. */
export function planText(plan: any, depth = 0): string {
  const on = plan['Relation Name'] ? ` on "${plan['Relation Name']}"` : '';
  const using = plan['Index Name'] ? ` using "${plan['Index Name']}"` : '';
  const line = `${'  '.repeat(depth)}-> ${plan['Node Type']}${on}${using}  (rows=${plan['Plan Rows']})`;
  return [line, ...(plan.Plans ?? []).map((p: any) => planText(p, depth + 1))].join('\n');
}

/** A plan on one line: each node's type and relation, its children in order (no costs, no rows). */
export const planShape = (plan: any): string =>
  `${plan['Node Type']}${plan['Relation Name'] ? ` on "${plan['Relation Name']}"` : ''}(${(plan.Plans ?? []).map(planShape).join(', ')})`;

/** A plan node that reads its relation whole: a Seq Scan, or an index walked with no condition. */
export const readsWholeRelation = (n: any): boolean =>
  n['Node Type'] === 'Seq Scan' || (/Index/.test(n['Node Type']) && !n['Index Cond']);

/** Thrown to roll back a transaction whose plans were all that was wanted. */
export const ROLLBACK = new Error('rolled back on purpose');
