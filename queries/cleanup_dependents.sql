-- cleanup_dependents.sql
-- What:  objects outside schema emailai_migration that depend on something inside it
--        (a view over the registry, a trigger of somebody else's calling a package
--        function, a column default calling one): DROP SCHEMA ... CASCADE would drop
--        them silently. The package's own window triggers (emailai_migration_* on the
--        app's tables) are not listed: cleanup drops them first. A package invariant
--        of `runner.ts cleanup` (SPEC phase 5): it refuses while any is listed,
--        --force or not; dropping or changing the listed object settles it.
-- Read-only. Locks: none.
WITH package AS (SELECT to_regnamespace('emailai_migration') AS ns),
referenced AS (
  SELECT 'pg_proc'::regclass AS classid, p.oid FROM pg_proc p, package WHERE p.pronamespace = package.ns
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid FROM pg_class c, package WHERE c.relnamespace = package.ns
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid FROM pg_type t, package WHERE t.typnamespace = package.ns
),
dependents AS (
  SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid,
         CASE d.classid
           WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid WHERE tg.oid = d.objid)
           WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
           WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
           WHEN 'pg_class'::regclass THEN (SELECT c.relnamespace FROM pg_class c WHERE c.oid = d.objid)
           WHEN 'pg_proc'::regclass THEN (SELECT p.pronamespace FROM pg_proc p WHERE p.oid = d.objid)
           WHEN 'pg_type'::regclass THEN (SELECT t.typnamespace FROM pg_type t WHERE t.oid = d.objid)
           WHEN 'pg_constraint'::regclass THEN (SELECT co.connamespace FROM pg_constraint co WHERE co.oid = d.objid)
         END AS dependent_ns,
         CASE WHEN d.classid = 'pg_trigger'::regclass
              THEN (SELECT tg.tgname FROM pg_trigger tg WHERE tg.oid = d.objid)::text END AS trigger_name
  FROM pg_depend d
  JOIN referenced r ON r.classid = d.refclassid AND r.oid = d.refobjid
  WHERE d.deptype IN ('n', 'a')
)
SELECT DISTINCT pg_describe_object(classid, objid, objsubid) AS dependent,
       pg_describe_object(refclassid, refobjid, refobjsubid) AS depends_on
FROM dependents, package
WHERE dependent_ns IS DISTINCT FROM package.ns
  AND (trigger_name IS NULL OR trigger_name NOT LIKE 'emailai\_migration\_%')
ORDER BY 1, 2;
