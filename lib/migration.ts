// A ley migration of this package: an ordered list of sql/ files to apply and of
// rollback/ files that undo them. Each file runs through runStep (lock-safe).
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { runStep, type LockSettings, type StepResult } from './steps.ts';
import { ROLLBACK_DIR, SQL_DIR } from './paths.ts';

export interface MigrationContext {
  sql: Sql;
  settings: LockSettings;
  /** Transaction-local settings for every step, e.g. emailai_migration.force. */
  sessionSettings: Record<string, string>;
  results: StepResult[];
}

export interface MigrationDefinition {
  /** The app's Prisma migration these objects stand for, if any. */
  prismaMigration?: string;
  up: string[];
  down: string[];
  /**
   * A rollback/ file run before anything of a `down` that includes this migration is
   * undone: it raises when the undo would meet what the new app wrote, so a refused
   * down drops nothing.
   */
  downGuard?: string;
}

export interface Migration extends MigrationDefinition {
  apply(ctx: MigrationContext): Promise<void>;
  undo(ctx: MigrationContext): Promise<void>;
}

export function defineMigration(def: MigrationDefinition): Migration {
  const run = async (ctx: MigrationContext, dir: string, files: string[]) => {
    for (const file of files) ctx.results.push(await runStep(ctx.sql, join(dir, file), ctx.settings, ctx.sessionSettings));
  };
  return {
    ...def,
    apply: ctx => run(ctx, SQL_DIR, def.up),
    undo: ctx => run(ctx, ROLLBACK_DIR, def.down),
  };
}
