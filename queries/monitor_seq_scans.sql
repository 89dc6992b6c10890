-- monitor_seq_scans.sql
-- What:  sequential against index scans on the tables the new app reads by
--        organization ("Organization", "OrganizationMember", and "EmailAccount" by
--        "organizationId"), from pg_stat_user_tables. The counters are cumulative since
--        the last statistics reset, so the share of sequential scans is what matters:
--        the migration itself leaves it far below 1 %; a missing index makes every
--        organization lookup a full scan and the share climbs.
-- Parameters: $1 minimum live rows (smaller tables are cheap to scan: not reported).
-- Read-only. Locks: none.
SELECT s.relname                      AS table_name,
       s.n_live_tup                   AS live_rows,
       s.seq_scan                     AS seq_scans,
       s.seq_tup_read                 AS rows_read_by_seq_scans,
       coalesce(s.idx_scan, 0)        AS index_scans,
       round(100.0 * s.seq_scan / nullif(s.seq_scan + coalesce(s.idx_scan, 0), 0), 2) AS seq_scan_pct,
       s.n_live_tup >= $1             AS large_enough
FROM pg_stat_user_tables s
WHERE s.schemaname = 'public'
  AND s.relname IN ('Organization', 'OrganizationMember', 'EmailAccount')
ORDER BY s.relname;
