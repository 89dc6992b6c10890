-- 114_add_premium_seat_columns.sql (undo)
-- What:     drops "Premium"."maxSeats" and "Premium"."usedSeats" (undoes sql/114).
-- Locks:    ACCESS EXCLUSIVE on "Premium", metadata only; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
-- squawk:   ban-drop-column: this is an undo: it drops only a column the schema phase added, which the old app never reads.
-- squawk-ignore-file ban-drop-column
ALTER TABLE "Premium" DROP COLUMN IF EXISTS "maxSeats", DROP COLUMN IF EXISTS "usedSeats";
