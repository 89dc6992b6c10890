// `runner.ts up`: schema + backfill + verify, the exit code verify's. After a failure
// or a kill it resumes: the schema phase skips what ley has recorded, the backfill
// continues from its checkpoints, verify always runs.
import { type Context, type Flags, str, YES } from '../context.ts';
import * as preflight from './preflight.ts';
import * as schema from './schema.ts';
import * as backfill from './backfill.ts';
import * as verify from './verify.ts';
import * as report from './report.ts';
import * as log from '../log.ts';

export const summary = 'preflight + schema + backfill + verify, resuming after the last completed phase';
export const flags = { ...preflight.flags, ...schema.flags, ...backfill.flags, ...verify.flags, ...report.flags, 'skip-preflight': YES } as const satisfies Flags;

export async function run(ctx: Context): Promise<number> {
  const o = {
    preflight: ctx.options['skip-preflight'] ? undefined : preflight.options(ctx.options),
    schema: schema.options(ctx.options),
    backfill: backfill.options(ctx.options),
    junit: str(ctx.options, 'junit'),
    output: str(ctx.options, 'output'),
  };
  const started = performance.now();
  if (o.preflight) await preflight.assertPreflight(ctx, o.preflight);
  const applied = await schema.runSchema(ctx, o.schema);
  const passes = await backfill.runBackfill(ctx, o.backfill);
  const { exitCode, results } = await verify.verifyAndReport(ctx, ctx.open(2), o.junit);
  const path = await report.writeReport(ctx, ctx.open(1), o.output, results);
  log.info(`up: report written to ${path}`);
  log.info(`up: ${exitCode === 0 ? 'done' : 'FAILED verification'} in ${log.duration(performance.now() - started)}`);
  if (ctx.json) log.json({ command: 'up', schema: applied, backfill: passes, verify: verify.verifyDocument(results), report: path });
  return exitCode;
}
