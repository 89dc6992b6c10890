// `runner.ts up`: schema + backfill + verify, the exit code verify's. After a failure
// or a kill it resumes: the schema phase skips what ley has recorded, the backfill
// continues from its checkpoints, verify always runs.
import { type Context, type Flags, type Options, YES } from '../context.ts';
import * as preflight from './preflight.ts';
import * as schema from './schema.ts';
import * as backfill from './backfill.ts';
import * as verify from './verify.ts';
import * as report from './report.ts';
import * as log from '../log.ts';

export const summary = 'preflight + schema + backfill + verify, resuming after the last completed phase';
export const flags = { ...preflight.flags, ...schema.flags, ...backfill.flags, ...verify.flags, ...report.flags, 'skip-preflight': YES } as const satisfies Flags;

export interface UpOptions {
  /** Undefined with --skip-preflight. */
  preflight: preflight.PreflightOptions | undefined;
  schema: schema.SchemaOptions;
  backfill: backfill.BackfillOptions;
  verify: verify.VerifyOptions;
  report: report.ReportOptions;
}

/** Each phase's options, as that command reads them. */
export function options(o: Options): UpOptions {
  return {
    preflight: o['skip-preflight'] ? undefined : preflight.options(o),
    schema: schema.options(o),
    backfill: backfill.options(o),
    verify: verify.options(o),
    report: report.options(o),
  };
}

export async function run(ctx: Context): Promise<number> {
  const o = options(ctx.options);
  const started = performance.now();
  if (o.preflight) await preflight.assertPreflight(ctx, o.preflight);
  const applied = await schema.runSchema(ctx, o.schema);
  const passes = await backfill.runBackfill(ctx, o.backfill);
  const { exitCode, results } = await verify.verifyAndReport(ctx, ctx.open(2), o.verify.junitFile);
  const path = await report.writeReport(ctx, ctx.open(1), o.report.output, results);
  log.info(`up: report written to ${path}`);
  log.info(`up: ${exitCode === 0 ? 'done' : 'FAILED verification'} in ${log.duration(performance.now() - started)}`);
  if (ctx.json) log.json({ command: 'up', schema: applied, backfill: passes, verify: verify.verifyDocument(results), report: path });
  return exitCode;
}
