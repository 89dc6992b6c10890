// `runner.ts up`: schema + backfill + verify, the exit code verify's. After a failure
// or a kill it resumes: the schema phase skips what ley has recorded, the backfill
// continues from its checkpoints, verify always runs.
import type { Context } from '../context.ts';
import { runSchema } from './schema.ts';
import { runBackfill } from './backfill.ts';
import { verifyAndReport, verifyDocument } from './verify.ts';
import { writeReport } from './report.ts';
import * as log from '../log.ts';

export async function run(ctx: Context): Promise<number> {
  const started = performance.now();
  const preflight = await import('./preflight.ts').catch(() => undefined);
  if (preflight && !ctx.options['skip-preflight']) await preflight.assertPreflight(ctx);
  const schema = await runSchema(ctx);
  const passes = await runBackfill(ctx);
  const { exitCode, results } = await verifyAndReport(ctx, ctx.open(2));
  const report = await writeReport(ctx, ctx.open(1), results);
  log.info(`up: report written to ${report}`);
  log.info(`up: ${exitCode === 0 ? 'done' : 'FAILED verification'} in ${log.duration(performance.now() - started)}`);
  if (ctx.json) log.json({ command: 'up', schema, backfill: passes, verify: verifyDocument(results), report });
  return exitCode;
}
