-- index_build_blockers.sql: the sessions a CREATE INDEX CONCURRENTLY waits for. Before
-- it can finish, the build waits for every transaction of the database that is older
-- than it (one anywhere, not only on that table): these are the open transactions,
-- oldest first. Sessions of other roles show no transaction start without
-- pg_read_all_stats: they are listed (visible = false) when nothing else explains the wait.
SELECT a.pid, a.usename AS user_name, a.application_name, a.state,
       floor(extract(epoch FROM now() - a.xact_start))::int AS seconds,
       left(a.query, 120) AS query,
       a.backend_type IS NOT NULL AS visible
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND (a.xact_start IS NOT NULL OR a.backend_xmin IS NOT NULL OR a.backend_type IS NULL)
  AND a.application_name IS DISTINCT FROM 'emailai-org-migration'
ORDER BY a.backend_type IS NULL, a.xact_start
LIMIT 5
