-- cleanup_live_since.sql
-- What:  when the migrated data went live: the completion time of the newest completed
--        'multi_tenant_data' row of migration_log (the runbook's phase 2), and its age
--        in days. NULL when the data phase never completed.
-- Read-only. Locks: none beyond ACCESS SHARE on migration_log.
SELECT max(completed_at)                                        AS live_since,
       extract(epoch FROM now()::timestamp - max(completed_at)) / 86400.0 AS age_days
FROM migration_log
WHERE migration_name = 'multi_tenant_data'
  AND status = 'completed';
