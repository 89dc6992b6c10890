-- monitor_lock_waits.sql
-- What:  sessions of this database waiting for a lock longer than the threshold, with
--        the sessions blocking them (pg_blocking_pids) and what those are doing.
-- Parameters: $1 threshold in ms.
-- Read-only. Locks: none (pg_blocking_pids reads the lock manager briefly).
SELECT w.pid                                                   AS waiting_pid,
       w.application_name                                      AS waiting_application,
       w.wait_event                                            AS lock_type,
       round(extract(epoch FROM now() - coalesce(w.query_start, w.state_change)) * 1000)::bigint AS waiting_ms,
       left(w.query, 200)                                      AS waiting_query,
       pg_blocking_pids(w.pid)                                 AS blocking_pids,
       (SELECT string_agg(format('pid %s (%s, %s): %s', b.pid, b.application_name, b.state, left(b.query, 120)), '; ')
          FROM pg_stat_activity b
         WHERE b.pid = ANY (pg_blocking_pids(w.pid)))          AS blockers
FROM pg_stat_activity w
WHERE w.datname = current_database()
  AND w.wait_event_type = 'Lock'
  AND now() - coalesce(w.query_start, w.state_change) > make_interval(secs => $1 / 1000.0)
ORDER BY waiting_ms DESC;
