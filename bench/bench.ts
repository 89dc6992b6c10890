// `npm run bench [-- flags]`: the numbers of issues 3, 4 and 5, all on one embedded
// PostgreSQL in one run. Markdown tables on stdout, progress on stderr.
//
//   backfill  at each --users size (default 10000,100000; --million adds 1000000), on
//             fresh copies of one generated fixture (CREATE DATABASE … TEMPLATE):
//               (a) ours: `runner.ts backfill` as it runs by default (keyset batches,
//                   sql/310; the parallel passes in DEFAULT_JOBS key ranges side by side)
//               (j) ours with `--jobs N` (--jobs, default 1: one session; not run
//                   when N is the default)
//               (b) reference: one un-batched statement per step (reference_single_statement.sql)
//               (c) per-row: the runbook's original script's loop, plus creators one
//                   UPDATE per inbox and table (only up to --per-row-max users)
//             each a child process (peak memory = its VmHWM); the three must leave
//             the same data, and (a) must pass `verify`. (a), (j) and (b) run --repeat
//             times (default 3), rotating which goes first; the tables show
//             medians, and the ratios (a) ÷ (b), (j) ÷ (b) of each round. (c) runs once.
//   verify    `runner.ts verify --json` per check, at the largest size.
//   server    the embedded test server (durability off), or with --production (and
//             always with --million) a production shape: shared_buffers a quarter of
//             memory, checkpoints spaced, fsync and synchronous_commit on. Printed
//             with the tables; both variants run on the same server.
//   --live    the old-app workload (test/workload.ts) during (a) `runner.ts schema`,
//             `backfill`, `verify` and (b) the naive way: naive_prisma_migration.sql
//             as one transaction, then the reference backfill as one transaction.
//
// Exit 0 unless a run failed or the variants disagree.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres, { type Sql } from 'postgres';
import { startEmbedded, type EmbeddedServer } from '../dev/embedded.ts';
import { DEFAULT_JOBS } from '../lib/commands/backfill.ts';
import { loadFixture } from '../test/fixtures/fixtures.ts';
import { startWorkload, workloadTable, type PhaseStats } from '../test/workload.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = fileURLToPath(new URL('../runner.ts', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const GUARD = fileURLToPath(new URL('../dev/exit-code-guard.ts', import.meta.url));
const REFERENCE_FILE = fileURLToPath(new URL('./reference_single_statement.sql', import.meta.url));
const NAIVE_FILE = fileURLToPath(new URL('./naive_prisma_migration.sql', import.meta.url));
const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));
const CREATOR_TABLES = ['Rule', 'Group', 'Knowledge', 'Category'] as const;

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const connect = (url: string, max = 2): Sql => postgres(url, { max, onnotice: () => {} }) as unknown as Sql;

// ---------------------------------------------------------------------------
// Child processes, measured: wall time and peak resident memory (VmHWM).

interface ChildResult { code: number | null; stdout: string; stderr: string; wallMs: number; peakMb: number }

function runMeasured(script: string, args: string[], env: Record<string, string>): Promise<ChildResult> {
  const started = performance.now();
  // node --import tsx (not the tsx CLI, which would fork again): the pid is the process that works.
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, script, ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '', peakKb = 0;
  const readPeak = () => {
    try {
      const kb = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)\s+kB/)?.[1] ?? 0);
      if (kb > peakKb) peakKb = kb;
    } catch { /* already gone */ }
  };
  const poll = setInterval(readPeak, 50);
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  return new Promise(resolve => {
    child.on('exit', () => readPeak());
    child.on('close', code => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started, peakMb: peakKb / 1024 });
    });
  });
}

async function mustRun(what: string, script: string, args: string[], env: Record<string, string>): Promise<ChildResult> {
  const r = await runMeasured(script, args, env);
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stderr.slice(-3000)}`);
  return r;
}

const runner = (url: string, args: string[]) => mustRun(`runner.ts ${args.join(' ')}`, RUNNER, args, { DATABASE_URL: url });

// ---------------------------------------------------------------------------
// The databases: one generated fixture per size, copied for every run.

async function createTemplate(server: EmbeddedServer, users: number): Promise<string> {
  const name = `bench_fixture_${users}`;
  const admin = connect(server.adminUrl, 1);
  await admin`drop database if exists ${admin(name)}`;
  await admin`create database ${admin(name)}`;
  await admin.end();
  const sql = connect(server.urlFor(name));
  const started = performance.now();
  await loadFixture(sql, { users });
  await sql`vacuum analyze`;
  await sql.end();
  progress(`fixture ${users} users generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return name;
}

let copies = 0;
async function copyOf(server: EmbeddedServer, template: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `bench_run_${copies++}`;
  const admin = connect(server.adminUrl, 1);
  await admin`create database ${admin(name)} template ${admin(template)}`;
  await admin.end();
  return {
    name,
    url: server.urlFor(name),
    async drop() {
      const a = connect(server.adminUrl, 1);
      await a`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
      await a`drop database if exists ${a(name)}`;
      await a.end();
    },
  };
}

// ---------------------------------------------------------------------------
// What the backfill leaves: counts, and checksums of every written column, so the
// three variants can be compared row for row.

interface DataSummary {
  organizations: number; memberships: number; inboxesLinked: number; organizationsWithPremium: number;
  premiumsLinked: number; creatorsSet: number; registryRows: number; checksum: string;
}

async function summarize(url: string): Promise<DataSummary> {
  const sql = connect(url);
  try {
    const [r] = await sql`
      select
        (select count(*) from "Organization")::int as organizations,
        (select count(*) from "OrganizationMember")::int as memberships,
        (select count(*) from "EmailAccount" where "organizationId" is not null)::int as inboxes_linked,
        (select count(*) from "Organization" where "premiumId" is not null)::int as organizations_with_premium,
        (select count(*) from "Premium" p where exists (select 1 from "Organization" o where o."premiumId" = p.id))::int as premiums_linked,
        ((select count(*) from "Rule" where "createdBy" is not null) + (select count(*) from "Group" where "createdBy" is not null)
         + (select count(*) from "Knowledge" where "createdBy" is not null) + (select count(*) from "Category" where "createdBy" is not null))::int as creators_set,
        ((select count(*) from emailai_migration.created_organization) + (select count(*) from emailai_migration.linked_email_account)
         + (select count(*) from emailai_migration.linked_premium))::int as registry_rows,
        md5(concat_ws('|',
          (select md5(string_agg(concat_ws(',', id, name, slug, "premiumId"), ';' order by id)) from "Organization"),
          (select md5(string_agg(concat_ws(',', id, role, "userId", "organizationId"), ';' order by id)) from "OrganizationMember"),
          (select md5(string_agg(concat_ws(',', id, "organizationId"), ';' order by id)) from "EmailAccount"),
          (select md5(string_agg(concat_ws(',', id, "usedSeats", "maxSeats"), ';' order by id)) from "Premium"),
          (select md5(string_agg(concat_ws(',', id, "createdBy"), ';' order by id)) from "Rule"),
          (select md5(string_agg(concat_ws(',', id, "createdBy"), ';' order by id)) from "Group"),
          (select md5(string_agg(concat_ws(',', id, "createdBy"), ';' order by id)) from "Knowledge"),
          (select md5(string_agg(concat_ws(',', id, "createdBy"), ';' order by id)) from "Category"))) as checksum`;
    return {
      organizations: r.organizations, memberships: r.memberships, inboxesLinked: r.inboxes_linked,
      organizationsWithPremium: r.organizations_with_premium, premiumsLinked: r.premiums_linked,
      creatorsSet: r.creators_set, registryRows: r.registry_rows, checksum: r.checksum,
    };
  } finally {
    await sql.end();
  }
}

/** Rows of the app's tables the backfill writes (the registry not counted). */
const rowsWritten = (s: DataSummary) =>
  s.organizations + s.memberships + s.inboxesLinked + s.organizationsWithPremium + s.premiumsLinked + s.creatorsSet;

// ---------------------------------------------------------------------------
// The variants (b) and (c), run as `bench.ts --child <variant> --database-url URL`.

function referenceSteps(): { step: string; text: string }[] {
  const text = readFileSync(REFERENCE_FILE, 'utf8');
  return text.split(/^-- step: /m).slice(1).map(chunk => {
    const newline = chunk.indexOf('\n');
    return { step: chunk.slice(0, newline).trim(), text: chunk.slice(newline + 1) };
  });
}

/** (b): every step as one statement, all in one transaction. Returns ms per step. */
async function runReference(sql: Sql): Promise<Record<string, number>> {
  const ms: Record<string, number> = {};
  await sql.begin(async tx => {
    for (const { step, text } of referenceSteps()) {
      const started = performance.now();
      await tx.unsafe(text);
      ms[step] = performance.now() - started;
    }
  });
  return ms;
}

/**
 * (c): the runbook's original script, as its ORM loop would run it: every user
 * loaded, then one transaction per user (slug lookup, organization, membership),
 * one per inbox (link), one per premium (rule 3: team, link, seat recount), then creators
 * one UPDATE per inbox and table. Same rules and same rows as (a): the names, slugs
 * and ids come from the same SQL functions, the registry rows are written too.
 */
async function runPerRow(sql: Sql): Promise<Record<string, number>> {
  const ms: Record<string, number> = {};
  let started = performance.now();
  const users = await sql`
    select id, name, email, "premiumId" from "User" u
    where not exists (select 1 from "OrganizationMember" m where m."userId" = u.id and m.role = 'OWNER')
    order by id`;
  const home = new Map<string, string>();
  for (const user of users) {
    await sql.begin(async tx => {
      let length = 6;
      while ((await tx`select 1 from "Organization" where slug = emailai_migration.personal_organization_slug(${user.email}, ${user.id}, ${length})`).length) length += 2;
      const [org] = await tx`
        insert into "Organization" (id, "updatedAt", name, slug)
        values (emailai_migration.personal_organization_id(${user.id}), now(),
                emailai_migration.personal_organization_name(${user.name}, ${user.email}),
                emailai_migration.personal_organization_slug(${user.email}, ${user.id}, ${length}))
        returning id`;
      const [member] = await tx`
        insert into "OrganizationMember" (id, "updatedAt", role, "userId", "organizationId")
        values (emailai_migration.personal_membership_id(${user.id}), now(), 'OWNER', ${user.id}, ${org.id}) returning id`;
      await tx`insert into emailai_migration.created_organization (organization_id, user_id, membership_id, created_by) values (${org.id}, ${user.id}, ${member.id}, 'backfill')`;
      home.set(user.id, org.id);
    });
  }
  ms.personal_organizations = performance.now() - started;

  started = performance.now();
  const inboxes = await sql`select id, "userId" from "EmailAccount" order by id`;
  for (const inbox of inboxes) {
    const organizationId = home.get(inbox.userId)
      ?? (await sql`select emailai_migration.home_organization(${inbox.userId}) as id`)[0].id;
    if (!organizationId) continue;
    await sql.begin(async tx => {
      const linked = await tx`update "EmailAccount" set "organizationId" = ${organizationId} where id = ${inbox.id} and "organizationId" is null returning id`;
      if (linked.length) await tx`insert into emailai_migration.linked_email_account (email_account_id, organization_id) values (${inbox.id}, ${organizationId})`;
    });
  }
  ms.email_account_links = performance.now() - started;

  started = performance.now();
  // Rule 3 per premium, one transaction each: its team organization, members, link
  // and seat recount (the same function the backfill's batches call, one id at a time).
  const premiums = await sql`select distinct "premiumId" as id from "User" where "premiumId" is not null order by 1`;
  for (const premium of premiums) {
    await sql.begin(async tx => {
      await tx`select emailai_migration.sync_premium_organizations(${[premium.id]}::text[], 'backfill', true)`;
    });
  }
  ms.premium_links_and_seats = performance.now() - started;

  started = performance.now();
  for (const inbox of inboxes) {
    for (const table of CREATOR_TABLES) {
      await sql`update ${sql(table)} set "createdBy" = ${inbox.userId} where "emailAccountId" = ${inbox.id} and "createdBy" is null`;
    }
  }
  ms.creators = performance.now() - started;
  return ms;
}

async function childMain(variant: string, url: string): Promise<void> {
  const sql = connect(url, 1);
  try {
    const ms = variant === 'reference' ? await runReference(sql) : variant === 'per-row' ? await runPerRow(sql) : undefined;
    if (!ms) throw new Error(`unknown --child variant "${variant}"`);
    process.stdout.write(JSON.stringify({ variant, ms }) + '\n');
  } finally {
    await sql.end();
  }
}

// ---------------------------------------------------------------------------
// The backfill benchmark.

interface Check { name: string; severity: 'error' | 'warn'; ms: number; count: number; passed: boolean }

interface VariantRun {
  users: number; variant: Variant; label: string; ms: number; wallMs: number; peakMb: number;
  steps: Record<string, number>; summary: DataSummary;
}

type Variant = 'a' | 'j' | 'b' | 'c';
/** The whole migration on one copy, each command's wall time (process start included). */
interface UpTimes { schemaMs: number; backfillMs: number; verifyMs: number; handoverMs: number }
let JOBS = 1;
const VARIANT_LABEL: Record<Variant, string> = {
  a: `(a) ours: runner.ts backfill, batches (--jobs ${DEFAULT_JOBS}, the default)`,
  get j() { return `(j) ours: the same, --jobs ${JOBS}`; },
  b: '(b) reference: one statement per step',
  c: '(c) per-row loop (runbook script)',
};

async function benchBackfill(server: EmbeddedServer, template: string, users: number, variant: Variant,
                             batchSize: string | undefined, withVerify: boolean): Promise<{ run: VariantRun; verify?: { ms: number; checks: Check[]; passed: boolean }; up?: UpTimes }> {
  const db = await copyOf(server, template);
  try {
    const schemaRun = await runner(db.url, ['schema']);
    // Every variant starts from the same state: the copy and the schema phase just
    // wrote hundreds of MB of WAL and dirty buffers. Flushed here, the checkpoint
    // they call for does not land inside the timing of whichever variant runs.
    const admin = connect(server.adminUrl, 1);
    try { await admin`checkpoint`; } finally { await admin.end(); }
    progress(`${users} users, ${VARIANT_LABEL[variant]} …`);
    let ms: number, steps: Record<string, number>, r: ChildResult;
    if (variant === 'a' || variant === 'j') {
      r = await runner(db.url, ['backfill', '--json', ...(batchSize ? ['--batch-size', batchSize] : []), ...(variant === 'j' ? ['--jobs', String(JOBS)] : [])]);
      const doc = JSON.parse(r.stdout) as { passes: { pass: string; ms: number }[] };
      steps = Object.fromEntries(doc.passes.map(p => [p.pass, p.ms]));
    } else {
      r = await mustRun(`bench --child ${variant}`, SELF, ['--child', variant === 'b' ? 'reference' : 'per-row', '--database-url', db.url], {});
      steps = (JSON.parse(r.stdout) as { ms: Record<string, number> }).ms;
    }
    ms = Object.values(steps).reduce((s, v) => s + v, 0);
    const summary = await summarize(db.url);
    progress(`  ${(ms / 1000).toFixed(1)} s, peak ${r.peakMb.toFixed(0)} MB`);
    let verify, up: UpTimes | undefined;
    if (variant === 'a' && withVerify) {
      const v = await runMeasured(RUNNER, ['verify', '--json'], { DATABASE_URL: db.url });
      const doc = JSON.parse(v.stdout) as { passed: boolean; checks: Check[] };
      verify = { ms: v.wallMs, checks: doc.checks, passed: v.code === 0 && doc.passed };
      if (!verify.passed) progress(`  verify FAILED on (a):\n${v.stderr.slice(-3000)}`);
      // The rest of the migration on the same copy: `up` is schema + backfill +
      // verify (each timed above, as its own process), then handover.
      const h = await runner(db.url, ['handover']);
      up = { schemaMs: schemaRun.wallMs, backfillMs: r.wallMs, verifyMs: v.wallMs, handoverMs: h.wallMs };
    }
    return { run: { users, variant, label: VARIANT_LABEL[variant], ms, wallMs: r.wallMs, peakMb: r.peakMb, steps, summary }, verify, up };
  } finally {
    await db.drop();
  }
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Repeated runs of one variant at one size as one row: median times, highest peak memory. */
function medianRun(runs: VariantRun[]): VariantRun {
  const steps = Object.fromEntries(Object.keys(runs[0].steps).map(k => [k, median(runs.map(r => r.steps[k]))]));
  return {
    ...runs[0], steps, ms: median(runs.map(r => r.ms)), wallMs: median(runs.map(r => r.wallMs)),
    peakMb: Math.max(...runs.map(r => r.peakMb)),
  };
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function backfillTable(all: VariantRun[], perRowMax: number): string {
  const runs = mediansOf(all);
  const lines = [
    '| users | variant | runs | seconds (median) | users/s | rows written/s | peak runner MB | time ÷ (a) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const users of [...new Set(runs.map(r => r.users))]) {
    const group = runs.filter(r => r.users === users);
    const a = group.find(r => r.variant === 'a');
    for (const r of group) {
      const n = all.filter(x => x.users === users && x.variant === r.variant).length;
      lines.push(`| ${int(users)} | ${r.label} | ${n} | ${fmt(r.ms / 1000)} | ${int(users / (r.ms / 1000))} | ${int(rowsWritten(r.summary) / (r.ms / 1000))} | ${fmt(r.peakMb, 0)} | ${a ? fmt(r.ms / a.ms, 2) + '×' : '–'} |`);
    }
    if (!group.some(r => r.variant === 'c')) lines.push(`| ${int(users)} | (c) per-row loop | 0 | not run (above --per-row-max ${int(perRowMax)}) | | | | |`);
  }
  const rounds = [...new Set(all.map(r => r.users))].flatMap(users => {
    const b = all.filter(r => r.users === users && r.variant === 'b');
    return (['a', 'j'] as const).flatMap(v => {
      const ours = all.filter(r => r.users === users && r.variant === v);
      if (!ours.length) return [];
      const ratios = ours.slice(0, b.length).map((r, i) => r.ms / b[i].ms);
      const m = median(ratios);
      return [`- (${v}) ÷ (b) at ${int(users)} users, round by round: ${ratios.map(x => fmt(x, 2) + '×').join(', ')}; median ${fmt(m, 2)}× ` +
        `(issue 15's target ≤ 1.20×: ${m <= 1.2 ? 'met' : 'MISSED'}; issue 18's ≤ 1.00×: ${m <= 1 ? 'met' : 'MISSED'})`];
    });
  });
  return [...lines, '', ...rounds].join('\n');
}

/** Median seconds per 1,000 users of each variant at each size; the package's growth from one size to the next. */
function growthTable(all: VariantRun[]): string {
  const runs = mediansOf(all).filter(r => r.variant !== 'c');
  const sizes = [...new Set(runs.map(r => r.users))];
  const variants = [...new Set(runs.map(r => r.variant))];
  const per = (v: Variant, users: number) => {
    const r = runs.find(x => x.variant === v && x.users === users);
    return r ? r.ms / (users / 1000) / 1000 : undefined;
  };
  const lines = [`| variant | ${sizes.map(int).join(' | ')} |`, `|---|${sizes.map(() => '---:').join('|')}|`];
  for (const v of variants) lines.push(`| ${VARIANT_LABEL[v]} | ${sizes.map(n => { const x = per(v, n); return x === undefined ? '–' : fmt(x, 3); }).join(' | ')} |`);
  lines.push('');
  for (const v of variants) {
    for (let i = 1; i < sizes.length; i++) {
      const x = per(v, sizes[i]), y = per(v, sizes[i - 1]);
      if (x === undefined || y === undefined) continue;
      const g = x / y;
      lines.push(`- ${VARIANT_LABEL[v]}: ${int(sizes[i])} ÷ ${int(sizes[i - 1])} users, per user: ${fmt(g, 2)}×` +
        (v !== 'b' && sizes[i] >= 1_000_000 ? ` (issue 18's target ≤ 1.30×: ${g <= 1.3 ? 'met' : 'MISSED'})` : ''));
    }
  }
  return lines.join('\n');
}

function upTable(times: Map<number, UpTimes>): string {
  const lines = ['| users | schema s | backfill s | verify s | `up` s | handover s | all s | verify ÷ backfill |', '|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const [users, t] of [...times].sort((x, y) => x[0] - y[0])) {
    const up = t.schemaMs + t.backfillMs + t.verifyMs;
    const ratio = t.verifyMs / t.backfillMs;
    lines.push(`| ${int(users)} | ${fmt(t.schemaMs / 1000)} | ${fmt(t.backfillMs / 1000)} | ${fmt(t.verifyMs / 1000)} | ${fmt(up / 1000)} | ${fmt(t.handoverMs / 1000)} | ${fmt((up + t.handoverMs) / 1000)} | ` +
      `${fmt(ratio * 100, 0)} % (≤ 10 %: ${ratio <= 0.1 ? 'met' : 'MISSED'}) |`);
  }
  return [...lines, '', 'wall time of each command as its own process, in the first run of (a) at each size.'].join('\n');
}

/** One median row per (users, variant), by size, then (a), (j), (b), (c). */
function mediansOf(all: VariantRun[]): VariantRun[] {
  const keys = [...new Set(all.map(r => `${r.users}:${r.variant}`))];
  const rank = (v: Variant) => ['a', 'j', 'b', 'c'].indexOf(v);
  return keys.map(k => medianRun(all.filter(r => `${r.users}:${r.variant}` === k)))
    .sort((x, y) => x.users - y.users || rank(x.variant) - rank(y.variant));
}

function stepsTable(all: VariantRun[]): string {
  const runs = mediansOf(all);
  const lines = [`| users | pass | (a) default s (median) | (j) --jobs ${JOBS} s (median) | (b) one statement s (median) | (a) ÷ (b) | (j) ÷ (b) |`, '|---:|---|---:|---:|---:|---:|---:|'];
  const perRow: string[] = [];
  for (const users of [...new Set(runs.map(r => r.users))]) {
    const a = runs.find(r => r.users === users && r.variant === 'a');
    const j = runs.find(r => r.users === users && r.variant === 'j');
    const b = runs.find(r => r.users === users && r.variant === 'b');
    if (!a || !b) continue;
    for (const pass of Object.keys(a.steps)) {
      const bs = b.steps[pass], js = j?.steps[pass];
      const ratio = (x: number | undefined) => (bs && x !== undefined ? fmt(x / bs, 2) + '×' : '–');
      lines.push(`| ${int(users)} | ${pass} | ${fmt(a.steps[pass] / 1000, 2)} | ${js === undefined ? '–' : fmt(js / 1000, 2)} | ${bs === undefined ? '–' : fmt(bs / 1000, 2)} | ${ratio(a.steps[pass])} | ${ratio(js)} |`);
    }
    const c = runs.find(r => r.users === users && r.variant === 'c');
    if (c) perRow.push(`(c) at ${int(users)} users: ` + Object.entries(c.steps).map(([k, v]) => `${k} ${fmt(v / 1000)} s`).join(', '));
  }
  return [...lines, '', ...perRow].join('\n');
}

// ---------------------------------------------------------------------------
// --live: the old-app workload during our `up` and during the naive migration.

async function liveOurs(url: string, baselineMs: number): Promise<{ stats: PhaseStats[]; verifyAfter: number | null; notes: string[] }> {
  const wl = await startWorkload(url, { connections: 4, longReadEveryMs: 15_000, longReadMs: 3000, phase: 'before (no migration)' });
  const notes: string[] = [];
  let stats: PhaseStats[] = [];
  try {
    await sleep(baselineMs);
    // `up` as its three phases. Not handover: it runs once the new app serves all
    // traffic, and this workload is the old app's.
    for (const phase of ['schema', 'backfill', 'verify'] as const) {
      wl.setPhase(phase);
      progress(`live (a): runner.ts ${phase} …`);
      const r = await runMeasured(RUNNER, phase === 'backfill' ? [phase, '--json'] : [phase], { DATABASE_URL: url });
      if (r.code !== 0) notes.push(`(a) runner.ts ${phase} exited ${r.code}: ${r.stderr.split('\n').filter(l => /✗|error/i.test(l)).slice(0, 5).join(' / ')}`);
      if (phase === 'backfill' && r.code === 0) notes.push(pausesNote(r));
    }
    wl.setPhase('after');
    await sleep(Math.min(baselineMs, 3000));
  } finally {
    stats = await wl.stop();
  }
  // Everything the workload wrote, the window included, must pass the checks.
  const final = await runMeasured(RUNNER, ['verify'], { DATABASE_URL: url });
  if (final.code !== 0) {
    const lines = final.stderr.split('\n');
    const failedChecks = lines.flatMap((l, i) => (l.includes('✗') ? [l.trim(), (lines[i + 1] ?? '').trim().slice(0, 400)] : []));
    notes.push(`(a) verify after the workload stopped exited ${final.code}: ${failedChecks.join(' / ')}`);
  }
  return { stats, verifyAfter: final.code, notes };
}

/** The throttle during a live backfill: time paused per pass, the batches' lengths, and each pause's reason as printed. */
function pausesNote(r: ChildResult): string {
  const doc = JSON.parse(r.stdout) as { passes: { pass: string; skipped: boolean; pausedMs: number; batches: number; medianBatchMs: number; maxBatchMs: number }[] };
  const reasons = new Map<string, number>();
  for (const line of r.stderr.split('\n')) {
    const m = line.match(/ paused(?: \([^)]*\))?: (.*)$/);
    if (m) reasons.set(m[1].trim(), (reasons.get(m[1].trim()) ?? 0) + 1);
  }
  const total = doc.passes.reduce((s, p) => s + p.pausedMs, 0);
  return `(a) backfill throttle: paused ${fmt(total / 1000)} s in all; ` +
    doc.passes.filter(p => !p.skipped).map(p => `${p.pass} ${p.batches} batches, median ${int(p.medianBatchMs)} ms, max ${int(p.maxBatchMs)} ms, paused ${fmt(p.pausedMs / 1000)} s`).join('; ') +
    (reasons.size ? `. Pauses printed: ${[...reasons].map(([why, n]) => `${n}× "${why}"`).join(', ')}` : '. No pause was taken.');
}

async function liveNaive(url: string, baselineMs: number): Promise<{ stats: PhaseStats[]; notes: string[] }> {
  const wl = await startWorkload(url, { connections: 4, longReadEveryMs: 15_000, longReadMs: 3000, phase: 'before (no migration)' });
  const notes: string[] = [];
  const sql = connect(url, 1);
  let stats: PhaseStats[] = [];
  try {
    await sleep(baselineMs);
    wl.setPhase('schema');
    progress('live (b): naive_prisma_migration.sql as one transaction …');
    let schemaOk = false;
    const started = performance.now();
    try {
      await sql.begin(async tx => { await tx.unsafe(readFileSync(NAIVE_FILE, 'utf8')); });
      schemaOk = true;
      notes.push(`(b) naive schema transaction: committed after ${fmt((performance.now() - started) / 1000)} s`);
    } catch (err) {
      notes.push(`(b) naive schema transaction FAILED after ${fmt((performance.now() - started) / 1000)} s: ${(err as Error).message}`);
    }
    if (schemaOk) {
      // The reference needs the registry and the rule functions (no table locks).
      await sql.unsafe(readFileSync(SQL_DIR + '020_package_registry.sql', 'utf8'));
      await sql.unsafe(readFileSync(SQL_DIR + '300_migration_rules.sql', 'utf8'));
      wl.setPhase('backfill');
      progress('live (b): reference backfill as one transaction …');
      const b = performance.now();
      try {
        await runReference(sql);
        notes.push(`(b) single-transaction backfill: committed after ${fmt((performance.now() - b) / 1000)} s`);
      } catch (err) {
        notes.push(`(b) single-transaction backfill FAILED after ${fmt((performance.now() - b) / 1000)} s: ${(err as Error).message}`);
      }
    }
    wl.setPhase('after');
    await sleep(Math.min(baselineMs, 3000));
  } finally {
    stats = await wl.stop();
    await sql.end();
  }
  return { stats, notes };
}

function slowestLines(label: string, stats: PhaseStats[]): string[] {
  return stats.map(s => `- ${label} ${s.phase}: ` + Object.entries(s.maxByOp).sort((x, y) => y[1] - x[1]).map(([op, ms]) => `${op} ${ms}`).join(', '));
}

function errorLines(label: string, stats: PhaseStats[]): string[] {
  return stats.flatMap(s => Object.entries(s.errorMessages).map(([m, n]) => `- ${label}, ${s.phase}: ${n}× ${m.slice(0, 200)}`));
}

// ---------------------------------------------------------------------------
// The server: the embedded test server's settings (durability off: fast tests), or with
// --production (and --million) the shape of a production server on this machine.

const SETTINGS_SHOWN = ['shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_wal_size',
  'checkpoint_timeout', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_compression', 'autovacuum'];

/** shared_buffers a quarter of memory, checkpoints spaced, every durability setting on. */
function productionSettings(): Record<string, string> {
  const mb = Math.floor(totalmem() / 1024 / 1024);
  return {
    shared_buffers: `${Math.floor(mb / 4)}MB`, effective_cache_size: `${Math.floor(mb / 2)}MB`,
    work_mem: '16MB', maintenance_work_mem: '1GB', max_wal_size: '16GB', checkpoint_timeout: '15min',
    checkpoint_completion_target: '0.9', fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', wal_compression: 'on',
  };
}

async function serverSettings(server: EmbeddedServer): Promise<[string, string][]> {
  const s = connect(server.adminUrl, 1);
  try {
    const rows = await s`select name, current_setting(name) as value from pg_settings where name = any(${SETTINGS_SHOWN}) order by array_position(${SETTINGS_SHOWN}::text[], name)`;
    return rows.map(r => [r.name, r.value]);
  } finally {
    await s.end();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '10000,100000' },
      million: { type: 'boolean' },
      'per-row-max': { type: 'string', default: '10000' },
      'batch-size': { type: 'string' },
      jobs: { type: 'string', default: '1' },
      production: { type: 'boolean' },
      repeat: { type: 'string', default: '3' },
      'million-repeat': { type: 'string', default: '1' },
      live: { type: 'boolean' },
      'live-only': { type: 'boolean' },
      'live-users': { type: 'string', default: '100000' },
      'baseline-ms': { type: 'string', default: '5000' },
      child: { type: 'string' },
      'database-url': { type: 'string' },
    },
    strict: true,
  });
  if (values.child) {
    await childMain(values.child, values['database-url']!);
    return 0;
  }
  const sizes = values.users!.split(',').map(Number);
  if (values.million) sizes.push(1_000_000);
  const perRowMax = Number(values['per-row-max']);
  const liveUsers = Number(values['live-users']);
  const baselineMs = Number(values['baseline-ms']);
  const repeat = Number(values.repeat);
  const millionRepeat = Number(values['million-repeat']);
  JOBS = Number(values.jobs);
  if ([...sizes, perRowMax, liveUsers, baselineMs, repeat, millionRepeat, JOBS].some(n => !Number.isSafeInteger(n) || n < 0) || repeat < 1 || millionRepeat < 1 || JOBS < 1) {
    process.stderr.write('usage: npm run bench -- [--users 10000,100000] [--million] [--repeat N] [--million-repeat N] [--per-row-max N] [--batch-size N] [--jobs N] [--production] [--live] [--live-only] [--live-users N] [--baseline-ms MS]\n');
    return 2;
  }

  progress('starting embedded PostgreSQL 15 …');
  const server = await startEmbedded({ settings: values.production || values.million ? productionSettings() : {} });
  const templates = new Map<number, string>();
  const template = async (users: number) => {
    if (!templates.has(users)) templates.set(users, await createTemplate(server, users));
    return templates.get(users)!;
  };
  let failed = false;
  const out: string[] = [];
  try {
    const [{ version }] = await (async () => { const s = connect(server.adminUrl, 1); try { return await s`select current_setting('server_version') as version`; } finally { await s.end(); } })();
    out.push(`# npm run bench — PostgreSQL ${version}, ${(await import('node:os')).cpus().length} CPUs, node ${process.version}`);
    out.push(`\nServer settings (${values.production || values.million ? 'a production shape: --production' : 'the embedded test server: durability off; --production for a production shape'}): ` +
      (await serverSettings(server)).map(([k, v]) => `${k} ${v}`).join(', '));

    if (!values['live-only']) {
      const runs: VariantRun[] = [];
      let lastVerify: { users: number; ms: number; checks: Check[]; passed: boolean } | undefined;
      const upTimes = new Map<number, UpTimes>();
      for (const users of sizes) {
        const tpl = await template(users);
        // Rounds of the variants, rotating which goes first, so that a slow
        // stretch of a noisy machine does not always land on the same variant.
        const order: Variant[] = [];
        const variants: Variant[] = JOBS !== DEFAULT_JOBS ? ['a', 'j', 'b'] : ['a', 'b'];
        const rounds = users >= 1_000_000 ? millionRepeat : repeat;
        for (let round = 0; round < rounds; round++) order.push(...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length));
        if (users <= perRowMax) order.push('c');
        for (const [i, variant] of order.entries()) {
          progress(`${users} users: run ${i + 1} of ${order.length}`);
          const { run, verify, up } = await benchBackfill(server, tpl, users, variant, values['batch-size'], i === 0);
          runs.push(run);
          if (up) upTimes.set(users, up);
          if (verify) {
            lastVerify = { users, ...verify };
            if (!verify.passed) failed = true;
          }
        }
        const group = runs.filter(r => r.users === users);
        const reference = group[0].summary;
        for (const r of group.slice(1)) {
          if (JSON.stringify(r.summary) !== JSON.stringify(reference)) {
            failed = true;
            out.push(`**MISMATCH at ${users} users: ${r.label} left different data than (a)**: ${JSON.stringify(r.summary)} vs ${JSON.stringify(reference)}`);
          }
        }
        const s = reference;
        out.push(`\nData at ${int(users)} users (${group.length} runs, ${group.every(r => r.summary.checksum === s.checksum) ? 'identical: same counts and checksums' : 'DIFFERENT'}): ` +
          `${int(s.organizations)} organizations, ${int(s.memberships)} memberships, ${int(s.inboxesLinked)} inboxes linked, ` +
          `${int(s.organizationsWithPremium)} organizations linked to ${int(s.premiumsLinked)} premiums, ${int(s.creatorsSet)} creators set; ${int(rowsWritten(s))} rows written.`);
      }
      out.push('\n## Backfill\n', backfillTable(runs, perRowMax));
      out.push('\nseconds: the work inside the process (sum of passes/steps, no process start-up), the median of the runs; peak runner MB: the highest VmHWM of the runs.');
      out.push('\n### Growth: seconds per 1,000 users\n', growthTable(runs));
      out.push('\n### The whole migration: `up` (schema + backfill + verify) and handover, on one copy\n', upTable(upTimes));
      out.push('\n### Where the time goes: (a) per pass vs (b) per statement\n', stepsTable(runs));
      if (lastVerify) {
        const backfill = mediansOf(runs).find(r => r.users === lastVerify!.users && r.variant === 'a')!;
        out.push(`\n## Verify at ${int(lastVerify.users)} users: ${lastVerify.passed ? 'passed' : 'FAILED'}; ` +
          `runner.ts verify ${fmt(lastVerify.ms / 1000)} s wall (checks ${fmt(lastVerify.checks.reduce((s, c) => s + c.ms, 0) / 1000)} s) beside the backfill's ${fmt(backfill.ms / 1000)} s\n`);
        out.push('| check | severity | ms | rows | result |', '|---|---|---:|---:|---|');
        for (const c of [...lastVerify.checks].sort((x, y) => y.ms - x.ms)) {
          out.push(`| ${c.name} | ${c.severity} | ${int(c.ms)} | ${c.count} | ${c.passed ? '✓' : c.severity === 'warn' ? '⚠ (warning)' : '✗'} |`);
        }
        const slowest = Math.max(...lastVerify.checks.map(c => c.ms));
        out.push(`\nslowest check ${int(slowest)} ms (target < 2,000 ms: ${slowest < 2000 ? 'met' : 'MISSED'})`);
      }
    }

    if (values.live || values['live-only']) {
      const tpl = await template(liveUsers);
      const ours = await copyOf(server, tpl);
      const naive = await copyOf(server, tpl);
      try {
        const a = await liveOurs(ours.url, baselineMs);
        const b = await liveNaive(naive.url, baselineMs);
        if (a.verifyAfter !== 0 || a.stats.some(s => s.errors)) failed = true;
        const maxA = Math.max(...a.stats.filter(s => s.phase !== 'before (no migration)' && s.phase !== 'after').map(s => s.max));
        out.push(`\n## Live: old-app workload (4 connections, a 3 s read transaction every 15 s) at ${int(liveUsers)} users\n`);
        out.push(workloadTable(a.stats, '(a) ours: runner.ts schema, backfill, verify (`up`)'));
        out.push(workloadTable(b.stats, '(b) naive: Prisma DDL in one transaction, then one-transaction backfill').split('\n').slice(2).join('\n'));
        out.push(`\n(a) during the migration: ${a.stats.reduce((s, x) => s + x.errors, 0)} errors, max ${fmt(maxA)} ms (target: 0 errors, max ≤ 200 ms: ${maxA <= 200 && !a.stats.some(s => s.errors) ? 'met' : 'MISSED'}); ` +
          `verify after the workload stopped: ${a.verifyAfter === 0 ? 'passed' : 'FAILED'}.`);
        out.push(...a.notes.map(n => `- ${n}`), ...b.notes.map(n => `- ${n}`));
        out.push('\nSlowest op of each kind, per phase (ms):', ...slowestLines('(a)', a.stats), ...slowestLines('(b)', b.stats));
        const errs = [...errorLines('(a)', a.stats), ...errorLines('(b)', b.stats)];
        if (errs.length) out.push('\nApp errors:', ...errs);
      } finally {
        await ours.drop();
        await naive.drop();
      }
    }
  } catch (err) {
    failed = true;
    progress(`FAILED: ${(err as Error).stack ?? err}`);
  } finally {
    await server.stop();
  }
  process.stdout.write(out.join('\n') + '\n');
  return failed ? 1 : 0;
}

process.exitCode = await main();
