-- monitor_server.sql
-- What:  one row: connections in use against max_connections, and whether
--        pg_stat_statements can be read (installed in this database AND loaded through
--        shared_preload_libraries; either alone is not enough).
-- Read-only. Locks: none.
SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections_used,
       current_setting('max_connections')::int                     AS max_connections,
       current_setting('superuser_reserved_connections')::int      AS reserved_connections,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS statements_installed,
       current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements([ ,]|$)' AS statements_loaded,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS statements_available;
