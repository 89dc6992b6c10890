// The pure parts, without a database (seconds): the command line, the connection
// target (URL, PGPASSWORD, .pgpass, ?password=), secret scrubbing, the headers of
// steps and checks, a check's remedy, verify's JUnit XML, each command's options, retries.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine } from '../lib/cli.ts';
import { readCheck, remedy, type CheckResult } from '../lib/checks.ts';
import { passwordFromPassfileText, resolveTarget } from '../lib/connection.ts';
import { batchSize, type Flags, int } from '../lib/context.ts';
import { UsageError } from '../lib/errors.ts';
import { addSecret, scrub } from '../lib/log.ts';
import { SQL_DIR, ROLLBACK_DIR } from '../lib/paths.ts';
import { readStep } from '../lib/steps.ts';
import { junit } from '../lib/commands/verify.ts';
import * as backfill from '../lib/commands/backfill.ts';
import * as repair from '../lib/commands/repair.ts';
import * as rollback from '../lib/commands/rollback.ts';

const dir = mkdtempSync(join(tmpdir(), 'emailai-pure-'));
const file = (name: string, text: string, mode = 0o600) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};

async function usageError(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.instance(err, UsageError, String(err));
    return (err as Error).message;
  }
  assert.unreachable('expected a usage error');
  return '';
}

// ── the command line ──────────────────────────────────────────────────────────

const every = async (): Promise<Record<string, Flags>> => ({ backfill: backfill.flags, repair: repair.flags, rollback: rollback.flags });

test('a flag of the command parses; one another command owns is a usage error naming it', async () => {
  const { values: parsed, positionals } = await parseCommandLine('backfill', ['backfill', '--batch-size', '500', '--restart', '--json'], backfill.flags, every);
  const values = parsed as Record<string, unknown>;
  assert.equal(positionals, ['backfill']);
  assert.is(values['batch-size'], '500');
  assert.is(values.restart, true);
  assert.is(values.json, true);
  const seats = await usageError(parseCommandLine('backfill', ['backfill', '--seats'], backfill.flags, every));
  assert.ok(seats.startsWith('backfill does not take --seats (repair takes it)'), seats);
  const force = await usageError(parseCommandLine('backfill', ['backfill', '--force'], backfill.flags, every));
  assert.ok(force.startsWith('backfill does not take --force (rollback takes it)'), force);
  const nobody = await usageError(parseCommandLine('repair', ['repair', '--frobnicate'], repair.flags, every));
  assert.ok(nobody.startsWith('repair does not take --frobnicate; its options: '), nobody);
  const missing = await usageError(parseCommandLine('backfill', ['backfill', '--batch-size'], backfill.flags, every));
  assert.ok(missing.startsWith('backfill: '), missing);
});

test('--batch-size and whole numbers: 0, a fraction, a long batch', async () => {
  assert.is(batchSize({}), 2000);
  assert.is(batchSize({ 'batch-size': '500' }), 500);
  assert.match(await usageError(() => batchSize({ 'batch-size': '0' })), /--batch-size 0 is outside/);
  assert.match(await usageError(() => batchSize({ 'batch-size': '1.5' })), /takes a whole number, got "1.5"/);
  assert.match(await usageError(() => batchSize({ 'batch-size': '50000' })), /--allow-long-batches/);
  assert.is(batchSize({ 'batch-size': '50000', 'allow-long-batches': true }), 50000);
  assert.match(await usageError(() => int({ 'sleep-ms': '-1' }, 'sleep-ms', 0)), /--sleep-ms takes a whole number/);
  assert.is(int({}, 'sleep-ms', 7), 7);
});

// ── the connection target ─────────────────────────────────────────────────────

const NO_PASSFILE = { PGPASSFILE: join(dir, 'none') };

test('the password leaves the URL (user:password@ and ?password=), and the pinned settings win', () => {
  const t = resolveTarget('postgres://mig:p%40ss@db.example:6543/emailai?password=other&search_path=evil&sslmode=require',
    { env: NO_PASSFILE, fromFlag: true });
  assert.is(t.password, 'p@ss');
  assert.is(t.passwordSource, '--database-url');
  assert.is(t.display, 'mig@db.example:6543/emailai');
  assert.ok(!t.url!.includes('p%40ss') && !t.url!.includes('password') && !t.url!.includes('search_path'), t.url);
  assert.ok(t.url!.includes('sslmode=require'), t.url);
  const q = resolveTarget('postgresql://mig@db.example/emailai?password=s3cret', { env: NO_PASSFILE });
  assert.is(q.password, 's3cret');
  assert.is(q.passwordSource, 'the database URL');
  assert.is(q.url, 'postgresql://mig@db.example/emailai');
  assert.is(q.port, '5432');
});

test('without a URL password: PGPASSWORD, else the password file (not one others may read), else none', () => {
  const env = { PGHOST: 'h1', PGPORT: '5433', PGUSER: 'mig', PGDATABASE: 'emailai' };
  const fromEnv = resolveTarget(undefined, { env: { ...env, ...NO_PASSFILE, PGPASSWORD: 'envpw' } });
  assert.is(fromEnv.password, 'envpw');
  assert.is(fromEnv.passwordSource, 'PGPASSWORD');
  assert.is(fromEnv.url, undefined);
  assert.is(fromEnv.display, 'mig@h1:5433/emailai');
  const pass = file('pgpass', '# comment\nother:*:*:*:wrong\nh1:5433:*:mig:file\\:pw\n*:*:*:*:fallback\n');
  const fromFile = resolveTarget('postgres://mig@h1:5433/emailai', { env: { PGPASSFILE: pass } });
  assert.is(fromFile.password, 'file:pw');
  assert.is(fromFile.passwordSource, pass);
  const open = file('pgpass-open', '*:*:*:*:readable\n', 0o644);
  assert.is(resolveTarget('postgres://mig@h1/emailai', { env: { PGPASSFILE: open } }).password, undefined);
  assert.is(resolveTarget('postgres://mig@h1/emailai', { env: NO_PASSFILE }).password, undefined);
  assert.is(resolveTarget('postgres://mig@h1', { env: NO_PASSFILE }).database, 'mig', 'the database defaults to the user');
});

test('.pgpass lines: first match wins, * matches anything, \\ escapes', () => {
  const want = { host: 'h', port: '5432', database: 'd', user: 'u' };
  assert.is(passwordFromPassfileText('h:5432:d:u:a\nh:5432:d:u:b\n', want), 'a');
  assert.is(passwordFromPassfileText('x:5432:d:u:a\n*:*:d:*:b\n', want), 'b');
  assert.is(passwordFromPassfileText('h:5432:d:u:back\\\\slash\n', want), 'back\\slash');
  assert.is(passwordFromPassfileText('h:5432:d:u\n', want), undefined, 'a line of four fields is skipped');
});

test('a bad URL is a usage error that does not print its password', async () => {
  const m = await usageError(() => resolveTarget('postgres://u:topsecret@[bad/db', { env: NO_PASSFILE }));
  assert.ok(!m.includes('topsecret'), m);
  assert.match(await usageError(() => resolveTarget('mysql://u@h/db', { env: NO_PASSFILE })), /must start with postgres:\/\//);
});

// ── secret scrubbing ──────────────────────────────────────────────────────────

test('scrub: a URL password, and every secret registered, wherever it appears', () => {
  assert.is(scrub('cannot reach postgresql://mig:pw123@h:5432/db now'), 'cannot reach postgresql://mig:***@h:5432/db now');
  assert.is(scrub('no password postgres://mig@h/db'), 'no password postgres://mig@h/db');
  addSecret('hunter2-pure');
  assert.is(scrub('PGPASSWORD=hunter2-pure and again hunter2-pure.'), 'PGPASSWORD=*** and again ***.');
  resolveTarget('postgres://mig@h/db?password=q-secret-pure', { env: NO_PASSFILE });
  assert.is(scrub('error: q-secret-pure'), 'error: ***', 'a password found by resolveTarget is a secret');
});

// ── step and check headers ────────────────────────────────────────────────────

test('a step header: transaction, index, and the Locks summary up to its first sentence', () => {
  const s = readStep(file('500_x.sql', [
    '-- 500_x.sql',
    '-- What:     an index.',
    '-- Locks:    SHARE UPDATE EXCLUSIVE on "EmailAccount" (CREATE INDEX',
    '--           CONCURRENTLY); reads and writes go on.',
    '-- transaction: none',
    '-- index: "EmailAccount_x_idx"',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "EmailAccount_x_idx" ON "EmailAccount" (x)',
  ].join('\n')));
  assert.is(s.transaction, false);
  assert.is(s.index, '"EmailAccount_x_idx"');
  assert.is(s.locks, 'SHARE UPDATE EXCLUSIVE on "EmailAccount" (CREATE INDEX CONCURRENTLY)');
  assert.is(readStep(file('501_y.sql', '-- transaction: yes\nSELECT 1')).transaction, true);
  assert.throws(() => readStep(file('502_z.sql', '-- What: nothing\nSELECT 1')), /no "-- transaction:" line/);
});

test('every step of sql/ and rollback/ has a transaction header and a Locks entry', () => {
  for (const d of [SQL_DIR, ROLLBACK_DIR]) {
    for (const f of readdirSync(d).filter(n => n.endsWith('.sql'))) {
      const s = readStep(join(d, f));
      assert.ok(s.locks.length > 0, `${f}: no Locks entry`);
    }
  }
});

test('a check header: severity, Next lines, exactly one SELECT', () => {
  const c = readCheck(file('c.sql', [
    '-- Check: users without an organization.',
    '-- severity: error',
    '-- Next: runner.ts repair --user {user_id}',
    '-- Next: (then runner.ts repair --seats)',
    "SELECT id AS user_id FROM \"User\" WHERE name <> ';'",
  ].join('\n')));
  assert.is(c.severity, 'error');
  assert.is(c.what, 'users without an organization.');
  assert.equal(c.next, ['runner.ts repair --user {user_id}', '(then runner.ts repair --seats)']);
  assert.throws(() => readCheck(file('d.sql', '-- severity: warn\nSELECT 1; SELECT 2')), /exactly one SELECT/);
  assert.throws(() => readCheck(file('e.sql', '-- severity: fatal\nSELECT 1')), /severity/);
  assert.is(readCheck(file('f.sql', '-- severity: warn\nSELECT 1')).next, undefined);
});

test('remedy: a line per row (once per text, rows without the value skipped), {col|first}, the default', () => {
  const r = { name: 'x', next: ['runner.ts repair --user {user_id}', '(then runner.ts repair --seats)'],
              rows: [{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u1' }, { user_id: null }] };
  assert.is(remedy(r), 'runner.ts repair --user u1\nrunner.ts repair --user u2\n(then runner.ts repair --seats)');
  assert.is(remedy({ name: 'p', next: ['repair --user {emails|first}'], rows: [{ emails: 'a@x, b@x' }] }), 'repair --user a@x');
  assert.is(remedy({ name: 'y', rows: [{ a: 1 }] }), 'psql -X -f checks/y.sql lists the offending rows');
});

test('every check of checks/ names, in its Next lines, only columns its SELECT returns', async () => {
  const { listChecks } = await import('../lib/checks.ts');
  for (const c of listChecks()) {
    for (const line of c.next ?? []) {
      for (const [, col] of line.matchAll(/\{(\w+)(?:\|first)?\}/g)) {
        assert.ok(new RegExp(`\\b(?:AS\\s+)?"?${col}"?\\b`, 'i').test(c.select), `${c.name}: Next names {${col}}, which its SELECT does not return`);
      }
    }
  }
});

// ── verify's JUnit XML ────────────────────────────────────────────────────────

const result = (over: Partial<CheckResult>): CheckResult =>
  ({ name: 'c', severity: 'error', what: 'w', count: 0, rows: [], ms: 12, passed: true, ...over });

test('JUnit: one testcase per check, failures for errors and checks that could not run, warnings as output, escaped', () => {
  const xml = junit([
    result({ name: 'holds' }),
    result({ name: 'broken', count: 2, passed: false, what: 'rows <bad> & "worse"', rows: [{ id: "a'b" }] }),
    result({ name: 'warned', severity: 'warn', count: 1, passed: false, rows: [{ id: 1 }] }),
    result({ name: 'errored', severity: 'warn', passed: false, error: 'column "x" does not exist' }),
  ]);
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), xml);
  assert.match(xml, /<testsuites name="emailai-org-migration" tests="4" failures="2" time="0.048">/);
  assert.is([...xml.matchAll(/<testcase /g)].length, 4);
  assert.match(xml, /<testcase classname="emailai.checks" name="holds" time="0.012"><\/testcase>/);
  assert.match(xml, /<failure message="2 offending row\(s\): rows &lt;bad&gt; &amp; &quot;worse&quot;">/);
  assert.ok(xml.includes('&quot;id&quot;: &quot;a&apos;b&quot;'), xml);
  assert.match(xml, /name="warned"[^]*?<system-out>warning: 1 row\(s\): w/);
  assert.match(xml, /name="errored"[^]*?<failure message="could not run: column &quot;x&quot; does not exist">/);
});


// ── each command's options, parsed once at its top ────────────────────────────

test('rollback, repair, cleanup, handover: typed options, usage errors before any connection', async () => {
  const { options: rollbackOptions } = await import('../lib/commands/rollback.ts');
  const { options: repairOptions } = await import('../lib/commands/repair.ts');
  const { options: cleanupOptions } = await import('../lib/commands/cleanup.ts');
  const { options: handoverOptions } = await import('../lib/commands/handover.ts');
  assert.equal(rollbackOptions({ orgs: true, 'organization-id': 'o1', 'sleep-ms': '20' }),
    { level: 'orgs', organizationId: 'o1', force: false, dryRun: false, batchSize: 2000, sleepMs: 20 });
  assert.match(await usageError(() => rollbackOptions({ orgs: true, schema: true })), /exactly one of --keep-orgs, --orgs, --schema/);
  assert.match(await usageError(() => rollbackOptions({ schema: true, 'organization-id': 'o1' })), /not --schema/);
  assert.equal(repairOptions({ seats: true, 'dry-run': true, 'batch-size': '10' }), { who: undefined, match: undefined, dryRun: true, batchSize: 10 });
  assert.is(repairOptions({ user: 'a@b', match: 'email' }).match, 'email');
  assert.is(repairOptions({ user: 'a@b', 'batch-size': '0' }).who, 'a@b', '--batch-size is read with --seats only');
  assert.match(await usageError(() => repairOptions({ user: 'a@b', match: 'name' })), /--match takes id or email/);
  assert.match(await usageError(() => repairOptions({ user: 'a@b', seats: true })), /exactly one of --user/);
  assert.equal(cleanupOptions({ 'min-days': '7', 'deployed-at': '2026-01-02' }, {}),
    { minDays: 7, deployedAt: new Date('2026-01-02'), force: false, dryRun: false });
  assert.equal(cleanupOptions({}, { EMAILAI_DEPLOYED_AT: '2026-03-04' }).deployedAt, new Date('2026-03-04'));
  assert.is(cleanupOptions({}, {}).deployedAt, undefined);
  assert.match(await usageError(() => cleanupOptions({ 'deployed-at': 'last tuesday' }, {})), /--deployed-at takes a date/);
  assert.equal(handoverOptions({ 'keep-signup-organizations': true }), { keepSignupOrganizations: true, dryRun: false, batchSize: 2000 });
  assert.match(await usageError(() => handoverOptions({ 'batch-size': '0' })), /--batch-size 0 is outside/);
});

test('announce, backup, diagnose, report, status, plan, monitor: typed options, usage errors before any connection', async () => {
  const announce = await import('../lib/commands/announce.ts');
  const backup = await import('../lib/commands/backup.ts');
  const diagnose = await import('../lib/commands/diagnose.ts');
  const report = await import('../lib/commands/report.ts');
  const status = await import('../lib/commands/status.ts');
  const plan = await import('../lib/commands/plan.ts');
  const monitor = await import('../lib/commands/monitor.ts');
  // announce: the message is the positional; each setting from its flag, else its variable, never blank.
  assert.equal(announce.options({ 'status-url': ' https://status.example ' }, ['paused'], {}),
    { kind: 'paused', values: { statusUrl: 'https://status.example' } });
  assert.equal(announce.options({}, ['paused'], { EMAILAI_STATUS_URL: 'https://s' }).values, { statusUrl: 'https://s' });
  assert.match(await usageError(() => announce.options({}, ['launch'], {})), /announce <week-before\|day-before\|done\|paused>, got "launch"/);
  assert.match(await usageError(() => announce.options({}, [], {})), /^announce <week-before/);
  assert.match(await usageError(() => announce.options({ time: '10:00', 'status-url': '  ' }, ['day-before'], {})),
    /announce day-before: missing setting\(s\): --contact-email \(or EMAILAI_CONTACT_EMAIL\), --status-url \(or EMAILAI_STATUS_URL\)/);
  // backup: --file made absolute, else a timestamped name here.
  assert.equal(backup.options({ file: '/tmp/x.dump' }), { file: '/tmp/x.dump', restoreTo: undefined });
  assert.equal(backup.options({ 'restore-to': 'postgres://scratch/db' }, new Date('2026-01-02T03:04:05.678Z')),
    { file: join(process.cwd(), 'emailai-backup-20260102-030405.dump'), restoreTo: 'postgres://scratch/db' });
  // diagnose: --user is required.
  assert.equal(diagnose.options({ user: 'a@b' }), { who: 'a@b' });
  assert.match(await usageError(() => diagnose.options({})), /diagnose needs --user/);
  assert.equal(report.options({ output: 'r.md' }), { output: 'r.md' });
  assert.equal(report.options({}), { output: undefined });
  // status --watch, plan's batch size and sleep, monitor's thresholds: whole numbers.
  assert.equal(status.options({}), { watch: 0 });
  assert.equal(status.options({ watch: '5' }), { watch: 5 });
  assert.match(await usageError(() => status.options({ watch: '0.5' })), /--watch takes a whole number, got "0.5"/);
  assert.equal(plan.options({ 'batch-size': '500', 'sleep-ms': '10' }), { batchSize: 500, top: 10, sleepMs: 10 });
  assert.match(await usageError(() => plan.options({ 'batch-size': '0' })), /--batch-size 0 is outside/);
  assert.equal(monitor.options({ 'slow-ms': '250' }), { slowMs: 250, minRows: 1000, seqScanPct: 1, connectionsPct: 80, lockWaitMs: 1000 });
  assert.match(await usageError(() => monitor.options({ 'lock-wait-ms': '1s' })), /--lock-wait-ms takes a whole number, got "1s"/);
});

test('verify and up: typed options; up reads each phase as that command does', async () => {
  const verify = await import('../lib/commands/verify.ts');
  const up = await import('../lib/commands/up.ts');
  assert.equal(verify.options({ junit: 'out.xml' }), { junitFile: 'out.xml' });
  const o = up.options({ 'skip-preflight': true, junit: 'out.xml', output: 'r.md', 'batch-size': '100', 'app-role': ['app', 'worker'] });
  assert.is(o.preflight, undefined);
  assert.equal(o.schema.appRoles, ['app', 'worker']);
  assert.is(o.backfill.batchSize, 100);
  assert.equal(o.verify, { junitFile: 'out.xml' });
  assert.equal(o.report, { output: 'r.md' });
  assert.equal(up.options({ 'max-transaction-age': '30' }).preflight?.maxTransactionAgeSeconds, 30);
  assert.match(await usageError(() => up.options({ 'batch-size': '0' })), /--batch-size 0 is outside/);
});

// ── retries ───────────────────────────────────────────────────────────────────

test('withRetries: retryable SQLSTATEs (and retryOn) tried again up to lockRetries times, told to describe; others thrown at once', async () => {
  const { defaultLockSettings, withRetries } = await import('../lib/lock-settings.ts');
  const fail = (code: string) => Object.assign(new Error(`failed ${code}`), { code });
  const told: string[] = [];
  const settings = { ...defaultLockSettings, lockRetries: 2 };
  const tries: number[] = [];
  const result = await withRetries(settings, async n => { tries.push(n); if (n < 3) throw fail(n === 1 ? '55P03' : '40P01'); return 'done'; },
    { describe: (code, n, wait) => told.push(`${code} ${n} ${wait > 0}`) });
  assert.is(result, 'done');
  assert.equal(tries, [1, 2, 3]);
  assert.equal(told, ['55P03 1 true', '40P01 2 true']);
  let n = 0;
  const last = await withRetries({ ...settings, lockRetries: 1 }, async () => { n++; throw fail('40001'); }).catch(e => e);
  assert.is((last as Error).message, 'failed 40001');
  assert.is(n, 2, 'lockRetries + 1 tries');
  n = 0;
  const other = await withRetries(settings, async () => { n++; throw fail('23505'); }).catch(e => e);
  assert.is((other as { code: string }).code, '23505');
  assert.is(n, 1, 'not a lock error: thrown at once');
  n = 0;
  assert.is(await withRetries(settings, async () => { if (++n === 1) throw fail('23503'); return n; }, { retryOn: ['23503'] }), 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
