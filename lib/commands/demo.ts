// `runner.ts demo`: the same as `npm run demo` (lib/demo.ts). Needs no database:
// it starts its own embedded PostgreSQL.
import type { Context } from '../context.ts';
import { runDemo } from '../demo.ts';

export async function run(_ctx: Context): Promise<number> {
  return runDemo();
}
