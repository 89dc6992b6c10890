-- preflight_server.sql: the server-wide items of `runner.ts preflight`, one row.
-- Run outside the READ ONLY transaction: transaction_read_only is read as the
-- session would have it, not as our own read-only transaction forces it.
-- $1 = max transaction age in seconds.
SELECT current_setting('server_version') AS server_version,
       current_setting('server_version_num')::int AS server_version_num,
       current_setting('default_transaction_read_only') = 'on' AS default_read_only,
       current_setting('transaction_read_only') = 'on' AS transaction_read_only,
       pg_is_in_recovery() AS in_recovery,
       current_user AS role_name,
       current_database() AS database_name,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
       has_database_privilege(current_database(), 'CREATE') AS create_on_database,
       has_schema_privilege('public', 'CREATE') AS create_on_public,
       has_schema_privilege('public', 'USAGE') AS usage_on_public,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS reserved_connections,
       -- Another role's session shows no backend_type without pg_read_all_stats;
       -- a client backend is still the one with a database and a user.
       (SELECT count(*)::int FROM pg_stat_activity
         WHERE backend_type = 'client backend'
            OR (backend_type IS NULL AND datname IS NOT NULL AND usename IS NOT NULL)) AS connections_in_use,
       -- Transactions of other sessions in this database older than $1 s: DDL and
       -- CREATE INDEX CONCURRENTLY queue behind them.
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'pid', a.pid, 'user', a.usename, 'application', a.application_name,
                 'state', a.state, 'seconds', floor(extract(epoch FROM now() - a.xact_start))::int,
                 'query', left(a.query, 120)) ORDER BY a.xact_start), '[]')
          FROM pg_stat_activity a
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
           AND a.backend_type = 'client backend'
           AND a.xact_start < now() - make_interval(secs => $1)) AS old_transactions,
       -- Without pg_read_all_stats, other roles' sessions show no state, query or
       -- transaction start: their long transactions (and replay lag) are unknown.
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS sees_all_sessions,
       (SELECT count(*)::int FROM pg_stat_activity a
         WHERE a.datname = current_database() AND a.backend_type IS NULL AND a.usename IS NOT NULL
           AND a.pid <> pg_backend_pid()) AS hidden_sessions,
       -- VACUUMs running on the tables the schema phase locks: an anti-wraparound one
       -- does not give way to our locks, so the phase waits for it (or gives up).
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'pid', v.pid, 'table', v.relid::regclass::text,
                 'wraparound', CASE WHEN a.query IS NULL THEN NULL ELSE a.query LIKE '%to prevent wraparound%' END,
                 'autovacuum', a.backend_type = 'autovacuum worker',
                 'seconds', floor(extract(epoch FROM now() - a.xact_start))::int,
                 'phase', v.phase)), '[]')
          FROM pg_stat_progress_vacuum v LEFT JOIN pg_stat_activity a ON a.pid = v.pid
         WHERE v.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND v.relid IN (SELECT to_regclass(format('public.%I', t))
                           FROM unnest(ARRAY['User', 'EmailAccount', 'Premium', 'Rule', 'Group', 'Knowledge', 'Category']) t)) AS vacuums,
       (SELECT count(*)::int FROM pg_stat_replication) AS replicas,
       (SELECT extract(epoch FROM max(replay_lag))::float FROM pg_stat_replication) AS replay_lag_seconds,
       pg_database_size(current_database())::bigint AS database_bytes,
       -- Visible to superusers and pg_read_all_settings only: NULL otherwise.
       (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS data_directory
