#!/usr/bin/env -S npx tsx
// The runner: parse arguments, open a connection, run the command, print, exit.
// Every command lives in its own module (COMMANDS) and owns its summary and its
// flags: the parser is built from them, so a flag the command does not declare is a
// usage error. Exit codes (lib/errors.ts): 0 done, 1 failed, 2 usage error,
// 3 refused by a precondition (nothing changed).
import { parseArgs } from 'node:util';
import type { Sql } from 'postgres';
import { describeConnectionError, isConnectionLoss, passwordVisibilityWarning, resolveTarget, type Target } from './lib/connection.ts';
import { parseCommandLine } from './lib/cli.ts';
import { COMMON_FLAGS, type CommandModule, int, makeOpener, type Context, type Options } from './lib/context.ts';
import { EXIT, exitCodeOf, UsageError } from './lib/errors.ts';
import { bounded, lockSettingsFromEnv } from './lib/lock-settings.ts';
import * as log from './lib/log.ts';

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  preflight: () => import('./lib/commands/preflight.ts'),
  backup: () => import('./lib/commands/backup.ts'),
  plan: () => import('./lib/commands/plan.ts'),
  schema: () => import('./lib/commands/schema.ts'),
  backfill: () => import('./lib/commands/backfill.ts'),
  verify: () => import('./lib/commands/verify.ts'),
  up: () => import('./lib/commands/up.ts'),
  status: () => import('./lib/commands/status.ts'),
  handover: () => import('./lib/commands/handover.ts'),
  report: () => import('./lib/commands/report.ts'),
  rollback: () => import('./lib/commands/rollback.ts'),
  repair: () => import('./lib/commands/repair.ts'),
  cleanup: () => import('./lib/commands/cleanup.ts'),
  monitor: () => import('./lib/commands/monitor.ts'),
  diagnose: () => import('./lib/commands/diagnose.ts'),
  announce: () => import('./lib/commands/announce.ts'),
  demo: () => import('./dev/demo.ts'),
};

async function usage(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map(c => c.length));
  const lines = await Promise.all(Object.entries(COMMANDS).map(async ([c, load]) => `  ${c.padEnd(width)}  ${(await load()).summary}`));
  return [
    'usage: runner.ts <command> [options]',
    '',
    ...lines,
    '',
    'connection: --database-url URL, else DATABASE_URL, else PG* variables (.env is read)',
    'common: --json (one JSON document on stdout) --debug (stack traces)',
    'exit codes: 0 done · 1 a check or an operation failed · 2 usage error · 3 refused, nothing changed',
  ].join('\n');
}

/** Every command's flags (for the message naming who takes an unknown option). */
const everyCommandsFlags = async () =>
  Object.fromEntries(await Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => [name, (await load()).flags] as const)));

let lastTarget: Target | undefined;
let runningCommand = '';

async function main(argv: string[]): Promise<number> {
  // The command is the first word that is not an option (or the value of a common one).
  const first = parseArgs({ args: argv, options: COMMON_FLAGS, allowPositionals: true, strict: false });
  const command = first.positionals[0];
  if (!command || !(command in COMMANDS)) {
    if (command) log.error(`unknown command "${command}"`);
    process.stderr.write(await usage() + '\n');
    return first.values.help && !command ? EXIT.ok : EXIT.usage;
  }
  const mod = await COMMANDS[command]();
  let parsed;
  try {
    parsed = await parseCommandLine(command, argv, mod.flags, everyCommandsFlags);
  } catch (err) {
    log.error((err as Error).message);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const rest = positionals.slice(1);
  if (values.help) {
    process.stderr.write(`runner.ts ${command}: ${mod.summary}\n  options: ${Object.keys(mod.flags).map(f => `--${f}`).join(' ') || 'none beyond the common ones'}\n`);
    return EXIT.ok;
  }
  log.configureLog({ json: Boolean(values.json), debug: Boolean(values.debug) });
  runningCommand = command;

  const options = values as Options;
  let target;
  try {
    const url = options['database-url'] as string | undefined;
    target = resolveTarget(url || process.env.DATABASE_URL || undefined, { fromFlag: Boolean(url) });
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
  const e = err as { message?: string; stack?: string; step?: string };
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
    [code, message] = [exitCodeOf(err), e.message ?? String(err)];
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
