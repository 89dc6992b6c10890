// Snapshots for "nothing changed" and "back to the original" assertions: the
// catalog of schema public (without the package's own bookkeeping) and a checksum
// of every row of every app table.
import type { Sql } from 'postgres';

/** Tables that are the package's bookkeeping, allowed to stay after a rollback. */
const BOOKKEEPING = ['migration_log', 'migration_log_id_seq'];

export async function catalogSnapshot(sql: Sql): Promise<string[]> {
  const rows = await sql`
    select 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') as item
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      and c.relname <> all (${BOOKKEEPING})
    union all
    select 'index ' || pg_get_indexdef(i.indexrelid) || case when i.indisvalid then '' else ' INVALID' end
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname not like 'migration_log%'
    union all
    select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
           || case when convalidated then '' else ' NOT VALID' end
    from pg_constraint where connamespace = 'public'::regnamespace and conrelid <> 0
      and conrelid::regclass::text <> all (${BOOKKEEPING})
    union all
    select 'trigger ' || tgrelid::regclass::text || ' ' || tgname from pg_trigger
    where not tgisinternal and tgrelid::regclass::text <> all (${BOOKKEEPING})
    union all
    select 'type ' || t.typname || ' ' || coalesce((select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '')
    from pg_type t where t.typnamespace = 'public'::regnamespace and t.typtype = 'e'
    union all
    select 'function ' || p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'public'::regnamespace
    union all
    select 'relation ' || c.relname || ' ' || c.relkind::text from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relname not like 'migration_log%'
    order by 1`;
  return rows.map(r => r.item as string);
}

export const APP_TABLES = ['User', 'Account', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category', '_prisma_migrations'];

/** md5 of every row (as text, ordered by id) of each app table. */
export async function contentSnapshot(sql: Sql, tables: string[] = APP_TABLES): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tables) {
    const [row] = await sql`
      select count(*)::int as n, md5(coalesce(string_agg(x::text, E'\n' order by x.id), '')) as h
      from ${sql(t)} x`;
    out[t] = `${row.n}:${row.h}`;
  }
  return out;
}
