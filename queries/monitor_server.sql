-- monitor_server.sql
-- What:  one row: connections in use against max_connections, and whether
--        pg_stat_statements can be read (installed in this database AND loaded through
--        shared_preload_libraries; either alone is not enough; NULL when this role
--        may not read shared_preload_libraries).
-- Read-only. Locks: none.
-- (Another role's session shows no backend_type without pg_read_all_stats; a client
-- backend is still the one with a database and a user.)
SELECT (SELECT count(*) FROM pg_stat_activity
         WHERE backend_type = 'client backend'
            OR (backend_type IS NULL AND datname IS NOT NULL AND usename IS NOT NULL))::int AS connections_used,
       current_setting('max_connections')::int                     AS max_connections,
       current_setting('superuser_reserved_connections')::int      AS reserved_connections,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS statements_installed,
       -- pg_settings, not current_setting(): a role without pg_read_all_settings (a
       -- managed database's migrator) sees no row here (NULL: unknown) where
       -- current_setting() would fail the whole query.
       (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries')
         ~ '(^|[ ,])pg_stat_statements([ ,]|$)'                    AS statements_loaded,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS statements_available;
