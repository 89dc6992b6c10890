-- 114_add_premium_seat_columns.sql
-- What:     "Premium"."maxSeats" int (NULL = unlimited) and "usedSeats" int NOT NULL
--           DEFAULT 1. A constant default is stored in the catalog (PG >= 11): no
--           table rewrite.
-- Requires: nothing.
-- Locks:    ACCESS EXCLUSIVE on "Premium", metadata only; waits at most lock_timeout.
-- Re-run:   safe (IF NOT EXISTS).
-- Undo:     rollback/114_add_premium_seat_columns.sql
-- squawk:   prefer-bigint-over-int ignored: Prisma's Int is integer.
-- transaction: yes
-- squawk:   prefer-bigint-over-int: integer is Prisma's Int and the runbook's SERIAL.
-- squawk-ignore-file prefer-bigint-over-int
ALTER TABLE "Premium"
  ADD COLUMN IF NOT EXISTS "maxSeats" INTEGER,
  ADD COLUMN IF NOT EXISTS "usedSeats" INTEGER NOT NULL DEFAULT 1;
