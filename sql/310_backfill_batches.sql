-- 310_backfill_batches.sql
-- What:     the backfill as keyset batches (SPEC phase 2). backfill_passes() lists
--           the passes in order; backfill_batch(pass, after, size) does one batch of
--           one pass with the rules of sql/300, advances the pass's checkpoint in the
--           same transaction, and returns (last_key, rows_seen, rows_changed).
--           The runner calls it once per short transaction until rows_seen < size.
--           A batch is the next `size` keys of the pass's driving table: the passes
--           over "EmailAccount" and the creators get it as the key range
--           (after, last_key], one ordered index scan; the others as the list of keys,
--           because their rule functions also serve the window triggers, one user
--           at a time.
--             1 personal_organizations  over "User"         rule 1
--             2 email_account_links     over "EmailAccount" rule 2
--             3 premium_links           over "Premium"      rule 3 (team organizations,
--                                                               the one link per premium)
--             4 premium_seats           over "Premium"      rule 3 (seats)
--             5-8 rule/group/knowledge/category_creators    rule 4
-- Requires: 300.
-- Locks:    none when installed. A batch takes ROW EXCLUSIVE on the tables it writes
--           and row locks on at most `size` rows, for one short transaction.
-- Re-run:   safe. Every statement is guarded (NOT EXISTS / IS NULL / ON CONFLICT),
--           so a batch run twice, or after a crash, changes nothing the second time.
-- Undo:     rollback/310_backfill_batches.sql (the functions); the data is undone
--           by `runner.ts rollback`.
-- transaction: yes

CREATE OR REPLACE FUNCTION emailai_migration.backfill_passes()
RETURNS TABLE (pass text, driving_table text, ordinal integer)
LANGUAGE sql IMMUTABLE AS $$
  VALUES ('personal_organizations', 'User', 1),
         ('email_account_links', 'EmailAccount', 2),
         ('premium_links', 'Premium', 3),
         ('premium_seats', 'Premium', 4),
         ('rule_creators', 'Rule', 5),
         ('group_creators', 'Group', 6),
         ('knowledge_creators', 'Knowledge', 7),
         ('category_creators', 'Category', 8)
$$;

CREATE OR REPLACE FUNCTION emailai_migration.backfill_batch(p_pass text, p_after text, p_size integer)
RETURNS TABLE (last_key text, rows_seen integer, rows_changed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_table text;
  v_ids text[];
BEGIN
  SELECT p.driving_table INTO v_table FROM emailai_migration.backfill_passes() p WHERE p.pass = p_pass;
  IF v_table IS NULL THEN
    RAISE EXCEPTION 'unknown backfill pass "%"', p_pass;
  END IF;

  -- The batch: the next p_size keys of the driving table, by its primary key.
  EXECUTE format('SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM public.%I
                   WHERE id > coalesce($1, '''') ORDER BY id LIMIT $2) batch', v_table)
    INTO v_ids USING p_after, p_size;
  rows_seen := coalesce(cardinality(v_ids), 0);
  last_key := coalesce(v_ids[rows_seen], p_after);

  IF rows_seen = 0 THEN
    rows_changed := 0;
  ELSIF p_pass = 'personal_organizations' THEN
    rows_changed := emailai_migration.create_personal_organizations(v_ids, 'backfill');
  ELSIF p_pass = 'email_account_links' THEN
    rows_changed := emailai_migration.link_email_accounts(p_after, last_key);
  ELSIF p_pass = 'premium_links' THEN
    -- Rule 3 for the batch's premiums, each once (over "User", a team premium whose
    -- holders span several batches was synced once per batch).
    rows_changed := cardinality(emailai_migration.sync_premium_organizations(v_ids, 'backfill', true));
  ELSIF p_pass = 'premium_seats' THEN
    rows_changed := emailai_migration.recompute_seats(v_ids);
  ELSE
    -- Rule 4: the creator of a rule, group, knowledge entry or category is the
    -- owner of its inbox, so what was private stays private. updatedAt untouched.
    -- ("createdBy" || '') IS NULL is "createdBy" IS NULL written so that no index
    -- answers it: once autoanalyze sees few NULLs left, the planner would otherwise
    -- scan the whole "T_createdBy_idx" NULL range for every batch.
    EXECUTE format('UPDATE public.%I r SET "createdBy" = ea."userId"
                    FROM public."EmailAccount" ea
                    WHERE r.id > coalesce($1, '''') AND r.id <= $2
                      AND (r."createdBy" || '''') IS NULL
                      AND ea.id = r."emailAccountId"', v_table)
      USING p_after, last_key;
    GET DIAGNOSTICS rows_changed = ROW_COUNT;
  END IF;

  INSERT INTO emailai_migration.backfill_checkpoint AS c (pass, last_key, rows_done, finished)
  VALUES (p_pass, last_key, rows_seen, rows_seen < p_size)
  ON CONFLICT (pass) DO UPDATE
    SET last_key = EXCLUDED.last_key,
        rows_done = c.rows_done + EXCLUDED.rows_done,
        finished = EXCLUDED.finished,
        updated_at = now();
  RETURN NEXT;
END $$;
