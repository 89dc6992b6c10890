// A ley migration of this package: an ordered list of sql/ files to apply and of
// rollback/ files that undo them. Each file runs through runStep (lock-safe).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Sql } from 'postgres';
import type { LockSettings } from './lock-settings.ts';
import { runStep, type StepResult } from './steps.ts';
import { MIGRATIONS_DIR, ROLLBACK_DIR, SQL_DIR } from './paths.ts';

export interface MigrationContext {
  sql: Sql;
  settings: LockSettings;
  /** Transaction-local settings for every step, e.g. emailai_migration.force. */
  sessionSettings: Record<string, string>;
  results: StepResult[];
  /** Roles named by --app-role / EMAILAI_APP_ROLES, besides those found in the tables' grants. */
  appRoles: string[];
}

export interface MigrationDefinition {
  /** The app's Prisma migration these objects stand for, if any. */
  prismaMigration?: string;
  /** Runs before the first step is applied; throws (a refusal) to apply none of them. */
  gate?: (ctx: MigrationContext) => Promise<void>;
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
    apply: async ctx => {
      await def.gate?.(ctx);
      await run(ctx, SQL_DIR, def.up);
    },
    undo: ctx => run(ctx, ROLLBACK_DIR, def.down),
  };
}

/**
 * A migration of migrations/ (a file name there, or an absolute path), read as ley
 * reads it: the plan of the steps is that folder, and lib/ reads it, never imports it.
 */
export async function loadMigration(file: string): Promise<Migration> {
  const mod = await import(pathToFileURL(file.startsWith('/') ? file : join(MIGRATIONS_DIR, file)).href);
  return (mod.default ?? mod) as Migration;
}
