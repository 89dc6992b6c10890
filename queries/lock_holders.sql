-- lock_holders.sql: the sessions that hold locks on tables of schema public, for
-- the message of a step that gave up waiting for a lock: who to wait for or end.
-- query and xact_start are NULL for other roles' sessions without pg_read_all_stats.
SELECT a.pid, coalesce(a.backend_type, 'unknown') AS backend_type, a.usename AS user_name,
       a.application_name, a.state, left(a.query, 120) AS query,
       floor(extract(epoch FROM now() - a.xact_start))::int AS seconds,
       string_agg(DISTINCT format('%s on %I', l.mode, c.relname), ', ') AS locks
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.pid <> pg_backend_pid() AND n.nspname = 'public'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
GROUP BY a.pid, a.backend_type, a.usename, a.application_name, a.state, a.query, a.xact_start
ORDER BY a.xact_start NULLS LAST
LIMIT 5
