-- backfill_health.sql
-- What:  whether the database is healthy enough for the backfill's next batch
--        (lib/health.ts), one row, taken at most about once a second while the
--        batches run (mid-batch, so that the batch's row locks are held):
--        - app sessions waiting on a lock held by one of the runner's sessions (the
--          sessions of this database with the runner's application_name): pg_locks
--          and pg_blocking_pids, which every role may read;
--        - the oldest transaction of another session of this database that holds
--          back vacuum (it has an xid or a snapshot: backend_xid, backend_xmin), and
--          the oldest prepared transaction; without pg_read_all_stats other roles'
--          sessions show no transaction at all (nor backend_type): they are counted
--          as hidden (preflight's criterion), their transactions unknown;
--        - the replicas' replay lag (pg_stat_replication), NULL for a caught-up
--          replica; without pg_read_all_stats it cannot be read (sees_all false).
-- Parameters: none.
-- Read-only. Locks: none (pg_blocking_pids holds the lock manager's partition locks
--        for an instant, and is called for waiting sessions only).
WITH ours AS MATERIALIZED (
  SELECT pid FROM pg_stat_activity
   WHERE datname = current_database() AND application_name = current_setting('application_name')
), waiting AS MATERIALIZED (
  SELECT DISTINCT l.pid FROM pg_locks l
   WHERE NOT l.granted AND l.pid <> ALL (ARRAY(SELECT pid FROM ours))
), holding AS MATERIALIZED (
  SELECT a.xact_start FROM pg_stat_activity a
   WHERE a.datname = current_database() AND a.pid <> ALL (ARRAY(SELECT pid FROM ours))
     AND (a.backend_xid IS NOT NULL OR a.backend_xmin IS NOT NULL)
)
SELECT (SELECT count(*)::int FROM waiting w
         WHERE pg_blocking_pids(w.pid) && ARRAY(SELECT pid FROM ours)) AS app_sessions_waiting,
       (SELECT floor(extract(epoch FROM now() - least(
                 (SELECT min(xact_start) FROM holding),
                 (SELECT min(prepared) FROM pg_prepared_xacts WHERE database = current_database()))))::int
       ) AS oldest_transaction_seconds,
       (SELECT count(*)::int FROM pg_stat_activity a
         WHERE a.datname = current_database() AND a.backend_type IS NULL AND a.usename IS NOT NULL
           AND a.pid <> ALL (ARRAY(SELECT pid FROM ours))) AS hidden_sessions,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS sees_all,
       (SELECT count(*)::int FROM pg_stat_replication) AS replicas,
       (SELECT round(extract(epoch FROM max(replay_lag)) * 1000)::bigint FROM pg_stat_replication) AS replay_lag_ms
