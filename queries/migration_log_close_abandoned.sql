-- migration_log_close_abandoned.sql: marks failed every migration_log row left
-- in_progress by a run that died (connection lost, process killed, server restart).
-- Run by the command that has just taken the package lock: every run writes its
-- rows while it holds that lock, so while we hold it no live run has an open row.
-- Writes: UPDATE of migration_log only. Re-run: safe (touches in_progress rows only).
UPDATE migration_log
SET status = 'failed',
    completed_at = now(),
    error_message = coalesce(error_message || ' ', '') ||
      '(the run ended without recording its end: its connection was lost or its process was killed; ' ||
      'marked by the next run, which took the package lock at ' || to_char(now(), 'YYYY-MM-DD HH24:MI:SS') || ')'
WHERE status = 'in_progress'
RETURNING id, migration_name
