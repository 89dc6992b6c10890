// Snapshots for "nothing changed" and "back to the original" assertions.
//   catalogSnapshot   the schema of public as comparable text rows (migration_log,
//                     the package's bookkeeping, left out)
//   tableChecksums    md5 of every row of each table
//   databaseSnapshot  every relation, function and schema with an md5 of every
//                     table's rows: "nothing at all changed" (preflight refusals, plan)
import type { Sql } from 'postgres';

/** The app's tables before the migration (what a round trip must give back unchanged). */
export const APP_TABLES = ['User', 'Account', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category', '_prisma_migrations'];

/**
 * The schema of `public` as comparable text rows: tables, columns (type, default,
 * nullability), indexes, constraints, triggers, functions, enums. migration_log (the
 * package's bookkeeping) is left out. Added for the rollback round trip.
 */
export async function catalogSnapshot(sql: Sql): Promise<string[]> {
  const rows = await sql`
    select 'table ' || c.relname || ' ' || c.relkind::text as line
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S') and c.relname not like 'migration_log%'
    union all
    select format('column %s.%s %s default %s null %s', table_name, column_name, udt_name, column_default, is_nullable)
      from information_schema.columns where table_schema = 'public' and table_name <> 'migration_log'
    union all
    select 'index ' || indexdef from pg_indexes where schemaname = 'public' and tablename <> 'migration_log'
    union all
    select format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(co.oid))
      from pg_constraint co join pg_namespace n on n.oid = co.connamespace
     where n.nspname = 'public' and conrelid <> coalesce(to_regclass('public.migration_log'), 0)
    union all
    select 'trigger ' || pg_get_triggerdef(t.oid) from pg_trigger t join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and not t.tgisinternal
    union all
    select format('function %s(%s) %s', p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc))
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'
    union all
    select format('enum %s %s %s', t.typname, e.enumsortorder, e.enumlabel)
      from pg_enum e join pg_type t on t.oid = e.enumtypid join pg_namespace n on n.oid = t.typnamespace
     where n.nspname = 'public'
    order by 1`;
  return rows.map(r => r.line as string);
}

/**
 * md5 of every row of each table of `public` (migration_log left out), rows as text in
 * a stable order; `tables` limits it to those. ignoreColumns are blanked first (e.g.
 * createdAt/updatedAt of rows created at run time).
 */
export async function tableChecksums(sql: Sql, opts: { tables?: string[]; ignoreColumns?: string[] } = {}): Promise<Record<string, string>> {
  const tables = opts.tables ?? (await sql`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'migration_log' order by 1`).map(r => r.relname as string);
  const ignore = opts.ignoreColumns ?? [];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const [{ sum }] = await sql`
      select md5(coalesce(string_agg(r::text, E'\n' order by r::text), '')) as sum
      from (select (to_jsonb(t) - ${ignore}::text[]) as r from ${sql(table)} t) s`;
    out[table] = sum as string;
  }
  return out;
}

/** Every relation, function and schema outside the catalogs, and an md5 of every table's rows. */
export async function databaseSnapshot(sql: Sql): Promise<string> {
  const rows = await sql`
    select n.nspname, c.relname, c.relkind,
           case when c.relkind in ('r', 'p') then (xpath('/row/h/text()', query_to_xml(format(
             'select md5(coalesce(string_agg(t::text, '','' order by t::text), '''')) as h from %I.%I t',
             n.nspname, c.relname), false, true, '')))[1]::text end as rows_md5
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    union all
    select n.nspname, p.proname, 'f', null from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname not in ('pg_catalog', 'information_schema')
    union all
    select nspname, '', 'n', null from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'
    order by 1, 2, 3`;
  return JSON.stringify(rows);
}
