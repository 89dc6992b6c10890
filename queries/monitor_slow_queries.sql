-- monitor_slow_queries.sql
-- What:  statements touching the new tables or columns whose mean or max execution
--        time exceeds the threshold (the runbook's "Slow Organization Queries" alert,
--        100 ms), slowest first. Needs pg_stat_statements (PostgreSQL 13+ column
--        names); the runner only sends this when the extension is installed and loaded.
-- Parameters: $1 threshold in ms, $2 how many statements to return.
-- Read-only. Locks: none.
SELECT s.queryid::text                  AS query_id,
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 300) AS query,
       s.calls                          AS calls,
       round(s.mean_exec_time::numeric, 1) AS mean_ms,
       round(s.max_exec_time::numeric, 1)  AS max_ms,
       round(s.total_exec_time::numeric, 1) AS total_ms
FROM pg_stat_statements s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.query ~ '"(Organization|OrganizationMember|organizationId|usedSeats|maxSeats|createdBy|isShared)"'
  AND (s.mean_exec_time > $1 OR s.max_exec_time > $1)
ORDER BY s.mean_exec_time DESC
LIMIT $2;
