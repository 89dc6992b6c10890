// The schema phase's precondition: an object of emailai-schema.md that exists but
// differs from its definition stops the phase before anything changes. The
// expected definitions live in one place: checks/schema_objects_missing_or_different.sql.
// The indexes the package builds are read from the sql/ files that build them.
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import type { Sql } from 'postgres';
import { readCheck } from './checks.ts';
import { loadMigration } from './migration.ts';
import { CHECKS_DIR, MIGRATIONS_DIR, SQL_DIR } from './paths.ts';
import { readStep } from './steps.ts';

export interface ExpectedIndex { table: string; index: string; create: string }

/**
 * The indexes of the app's target schema (the migrations that stand for the app's
 * Prisma migrations), each with the statement that builds it: the `-- index:` steps'
 * own CREATE INDEX CONCURRENTLY, so the name is written in one SQL file only.
 */
export async function expectedIndexes(): Promise<ExpectedIndex[]> {
  const found: ExpectedIndex[] = [];
  for (const file of readdirSync(MIGRATIONS_DIR).filter(f => f.endsWith('.ts')).sort()) {
    const migration = await loadMigration(file);
    if (!migration.prismaMigration) continue;
    for (const name of migration.up) {
      const step = readStep(join(SQL_DIR, name));
      if (!step.index) continue;
      const create = step.text.match(/^CREATE (?:UNIQUE )?INDEX CONCURRENTLY[^;]*;/m)?.[0];
      const table = create?.match(/ ON "([^"]+)"/)?.[1];
      if (!create || !table) throw new Error(`${name}: an "-- index:" step without its CREATE INDEX CONCURRENTLY … ON "table"`);
      found.push({ table, index: step.index, create });
    }
  }
  return found;
}

export interface SchemaDifference {
  object_type: string;
  object_name: string;
  problem: 'missing' | 'different';
  expected: string;
  actual: string;
}

const CHECK = join(CHECKS_DIR, 'schema_objects_missing_or_different.sql');

export async function schemaDifferences(sql: Sql): Promise<SchemaDifference[]> {
  if (!existsSync(CHECK)) return [];
  const rows = await sql.unsafe(readCheck(CHECK).select);
  return rows as unknown as SchemaDifference[];
}

export async function conflictingSchemaObjects(sql: Sql): Promise<SchemaDifference[]> {
  return (await schemaDifferences(sql)).filter(d => d.problem === 'different');
}
