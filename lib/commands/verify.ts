// `runner.ts verify`: phase 3. Runs every checks/*.sql, prints one line each
// (✓ holds · ✗ error-level check failed · ⚠ warning) with up to 10 offending rows
// under a failure; --json gives one document, --junit FILE a JUnit XML file.
// Exit 1 when an error-level check fails; warnings never fail the run.
import { writeFileSync } from 'node:fs';
import type { Sql } from 'postgres';
import { type Context, type Flags, type Options, str, TEXT } from '../context.ts';
import { remedy, runChecks, type CheckResult } from '../checks.ts';
import { assertEmailAi } from '../emailai.ts';
import { RefusedError } from '../errors.ts';
import { lockHolder } from '../package-lock.ts';
import * as log from '../log.ts';

export async function runVerify(sql: Sql): Promise<CheckResult[]> {
  return runChecks(sql);
}

/** An error-level check with offending rows, or any check that could not run. */
export const isFailure = (r: CheckResult) => !r.passed && (r.severity === 'error' || r.error !== undefined);

export function printResults(results: CheckResult[]): void {
  for (const r of results) {
    const mark = r.passed ? '✓' : r.severity === 'error' || r.error ? '✗' : '⚠';
    log.info(`  ${mark} ${r.name.padEnd(52)} ${r.error ? '  error' : String(r.count).padStart(7)}  ${log.duration(r.ms)}`);
    if (r.error) {
      log.info(`      could not run: ${r.error}`);
    } else if (!r.passed) {
      // Up to 10 rows under a failure; a warning shows 3, to keep the screen readable.
      const shown = r.severity === 'error' ? r.rows : r.rows.slice(0, 3);
      for (const row of shown) log.info(`      ${JSON.stringify(row)}`);
      if (r.count > shown.length) log.info(`      … and ${r.count - shown.length} more (psql -X -f checks/${r.name}.sql lists them all)`);
      if (r.next) for (const line of remedy(r).split('\n')) log.info(`      next: ${line}`);
    }
  }
  const failed = results.filter(isFailure).length;
  const warned = results.filter(r => !r.passed && !isFailure(r)).length;
  log.info(`verify: ${results.length - failed - warned} hold, ${failed} failed, ${warned} warning(s)`);
}

const xml = (s: string) => s.replace(/[<>&"']/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]!));

export function junit(results: CheckResult[]): string {
  const failures = results.filter(isFailure).length;
  const seconds = results.reduce((s, r) => s + r.ms, 0) / 1000;
  const cases = results.map(r => {
    const head = `    <testcase classname="emailai.checks" name="${xml(r.name)}" time="${(r.ms / 1000).toFixed(3)}">`;
    const body = JSON.stringify(r.rows, null, 2);
    if (r.passed) return head + '</testcase>';
    if (r.error) return `${head}\n      <failure message="${xml(`could not run: ${r.error}`)}"></failure>\n    </testcase>`;
    if (r.severity === 'warn') return `${head}\n      <system-out>${xml(`warning: ${r.count} row(s): ${r.what}\n${body}`)}</system-out>\n    </testcase>`;
    return `${head}\n      <failure message="${xml(`${r.count} offending row(s): ${r.what}`)}">${xml(body)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="emailai-org-migration" tests="${results.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="verify" tests="${results.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function verifyDocument(results: CheckResult[]) {
  return {
    passed: !results.some(isFailure),
    checks: results.map(r => ({ name: r.name, severity: r.severity, what: r.what, count: r.count, passed: r.passed, ms: Math.round(r.ms), rows: r.rows,
                                ...(r.error ? { error: r.error } : {}), ...(!r.passed && !r.error && r.next ? { next: remedy(r) } : {}) })),
  };
}

export const summary = 'phase 3: every check in checks/; exit 1 if an error-level check fails';
export const flags = { junit: TEXT } as const satisfies Flags;

export interface VerifyOptions {
  /** --junit FILE: the results as JUnit XML too. */
  junitFile: string | undefined;
}

export function options(o: Options): VerifyOptions {
  return { junitFile: str(o, 'junit') };
}

/** Runs and prints every check; with `junitFile`, writes that JUnit XML file too. */
export async function verifyAndReport(ctx: Context, sql: Sql, junitFile: string | undefined): Promise<{ exitCode: number; results: CheckResult[] }> {
  log.info(`verify: ${ctx.target.display}`);
  const results = await runVerify(sql);
  printResults(results);
  if (junitFile) {
    writeFileSync(junitFile, junit(results));
    log.info(`verify: JUnit XML written to ${junitFile}`);
  }
  return { exitCode: verifyDocument(results).passed ? 0 : 1, results };
}

export async function run(ctx: Context): Promise<number> {
  const { junitFile } = options(ctx.options);
  const sql = ctx.open(2);
  await assertEmailAi(sql);
  // Checks read a half-done backfill as broken: say so instead of failing them.
  const holder = await lockHolder(sql);
  if (holder) {
    throw new RefusedError(`another migration runner is at work (it holds the package lock: ${holder}): the checks would read its unfinished work as failures. ` +
      'Run verify when it has finished (runner.ts status shows its progress); nothing was checked');
  }
  const { exitCode, results } = await verifyAndReport(ctx, sql, junitFile);
  if (ctx.json) log.json({ command: 'verify', ...verifyDocument(results) });
  return exitCode;
}
