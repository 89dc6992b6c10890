-- 114_add_premium_seat_columns.sql (undo)
-- What:     drops "Premium"."maxSeats" and "Premium"."usedSeats" (undoes sql/114).
-- Locks:    ACCESS EXCLUSIVE on "Premium", metadata only; waits at most lock_timeout.
-- Re-run:   safe (IF EXISTS).
-- transaction: yes
ALTER TABLE "Premium" DROP COLUMN IF EXISTS "maxSeats", DROP COLUMN IF EXISTS "usedSeats";
