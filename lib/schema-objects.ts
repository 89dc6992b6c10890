// The schema phase's precondition: an object of emailai-schema.md that exists but
// differs from its definition stops the phase before anything changes. The
// expected definitions live in one place: checks/schema_objects_missing_or_different.sql.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Sql } from 'postgres';
import { readCheck } from './checks.ts';
import { CHECKS_DIR } from './paths.ts';

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
