// Is this an EmailAI database at the expected (pre- or post-migration) version?
import type { Sql } from 'postgres';
import { RefusedError } from './errors.ts';

/** The new app's two Prisma migrations whose objects the schema phase creates (migrations/0001, 0002). */
export const PRISMA_MIGRATIONS = [
  '20250930165011_add_organizations_multi_tenant',
  '20250930170000_add_shared_resources',
];

export const EMAILAI_TABLES = ['User', 'Account', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category', '_prisma_migrations'];

export async function missingEmailAiTables(sql: Sql): Promise<string[]> {
  const rows = await sql`
    select t.name from unnest(${EMAILAI_TABLES}::text[]) as t(name)
    where to_regclass(format('public.%I', t.name)) is null`;
  return rows.map(r => r.name as string);
}

/** Refuses (exit 3) a database that is not EmailAI, before anything changes. */
export async function assertEmailAi(sql: Sql): Promise<void> {
  const missing = await missingEmailAiTables(sql);
  if (missing.length) {
    throw new RefusedError(`this is not an EmailAI database: table(s) ${missing.map(t => `"${t}"`).join(', ')} missing; nothing was changed`);
  }
}
