-- preflight_tables.sql: per app table the migration alters or writes, whether it is
-- there and what the connected role may do with it. ALTER TABLE needs ownership
-- (membership in the owning role); the triggers need TRIGGER, the new foreign keys
-- REFERENCES, the backfill SELECT and UPDATE.
SELECT t.name AS table_name,
       c.oid IS NOT NULL AS present,
       coalesce(pg_has_role(c.relowner, 'USAGE'), false) AS owner,
       coalesce(has_table_privilege(c.oid, 'TRIGGER'), false) AS trigger,
       coalesce(has_table_privilege(c.oid, 'REFERENCES'), false) AS "references",
       coalesce(has_table_privilege(c.oid, 'SELECT'), false) AS "select",
       coalesce(has_table_privilege(c.oid, 'UPDATE'), false) AS "update"
FROM unnest(ARRAY['User', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category']) WITH ORDINALITY AS t(name, ord)
LEFT JOIN pg_class c ON c.oid = to_regclass(format('public.%I', t.name))
ORDER BY t.ord
