-- repair_seats_batch.sql
-- What:     one batch of `runner.ts repair --seats`: rule 3's seats ("usedSeats",
--           "maxSeats") recomputed (emailai_migration.recompute_seats, sql/300) for
--           the next $2 premiums after the key $1 (NULL: from the start), in key
--           order. Answers the batch's last key, how many premiums it read and how
--           many it changed (the keyset loop of lib/batch-loop.ts stops on a batch
--           shorter than $2). Run in one short transaction (lib/short-transaction.ts:
--           lock_timeout, retries), rolled back by --dry-run.
-- Locks:    ROW EXCLUSIVE on "Premium"; FOR NO KEY UPDATE on the batch's premiums,
--           in key order (recompute_seats), until the batch's transaction ends.
-- Re-run:   safe: a premium whose seats are right is not written.
-- Undo:     none needed: it only makes seats agree with the members (rule 3); the
--           previous values are not kept.
WITH batch AS (
  SELECT id FROM "Premium" WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2
)
SELECT (SELECT max(id) FROM batch) AS last_key,
       (SELECT count(*)::int FROM batch) AS rows_seen,
       emailai_migration.recompute_seats(array(SELECT id FROM batch)) AS rows_changed
