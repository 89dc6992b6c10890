-- 310_backfill_batches.sql
-- What:     the backfill as keyset batches (SPEC phase 2). backfill_passes() lists
--           the passes in order; backfill_batch(pass, after, size[, upto, job]) does
--           one batch of one pass with the rules of sql/300 and returns (last_key,
--           rows_seen, rows_changed). The runner calls it once per short transaction
--           until rows_seen < size.
--           A batch is the next `size` keys of the pass's driving table: the passes
--           over "EmailAccount" and the creators get it as the key range
--           (after, last_key], one ordered index scan; the others as the list of keys,
--           because their rule functions also serve the window triggers, one user
--           at a time.
--             1 personal_organizations  over "User"         rule 1
--             2 email_account_links     over "EmailAccount" rule 2           parallel
--             3 premium_links           over "Premium"      rule 3 (team organizations,
--                                                               the one link per premium)
--             4 premium_seats           over "Premium"      rule 3 (seats)
--             5-8 rule/group/knowledge/category_creators    rule 4           parallel
--           Checkpoints: a batch advances its pass's checkpoint in its own
--           transaction. `runner.ts backfill --jobs N` splits a parallel pass into N
--           key ranges (backfill_split_keys) walked side by side; a batch of a range
--           (`job`) stops at the range's end (`upto`; NULL: the last range) and leaves
--           the checkpoint to the runner, which records the end of the keys done
--           without a gap (backfill_checkpoint_advance).
--           Only passes whose rows do not depend on each other are parallel: a row's
--           value there is its inbox owner's home, fixed once pass 1 is done. Rule 1's
--           slug collisions (the smaller user id keeps the short slug) and rule 3's
--           premium locks stay in one key order, one job.
-- Requires: 300.
-- Locks:    none when installed. A batch takes ROW EXCLUSIVE on the tables it writes
--           and row locks on at most `size` rows, for one short transaction; with
--           --jobs N, up to N such batches at once, on disjoint rows.
-- Re-run:   safe. Every statement is guarded (NOT EXISTS / IS NULL / ON CONFLICT),
--           so a batch run twice, or after a crash, changes nothing the second time.
-- Undo:     rollback/310_backfill_batches.sql (the functions); the data is undone
--           by `runner.ts rollback`.
-- transaction: yes

-- Earlier signatures: a changed result type or a new argument needs the old one gone
-- (to_regproc, which the runner uses to see the package, answers NULL for two).
DROP FUNCTION IF EXISTS emailai_migration.backfill_batch(text, text, integer);
DROP FUNCTION IF EXISTS emailai_migration.backfill_passes();

CREATE OR REPLACE FUNCTION emailai_migration.backfill_passes()
RETURNS TABLE (pass text, driving_table text, ordinal integer, parallel boolean)
LANGUAGE sql IMMUTABLE AS $$
  VALUES ('personal_organizations', 'User', 1, false),
         ('email_account_links', 'EmailAccount', 2, true),
         ('premium_links', 'Premium', 3, false),
         ('premium_seats', 'Premium', 4, false),
         ('rule_creators', 'Rule', 5, true),
         ('group_creators', 'Group', 6, true),
         ('knowledge_creators', 'Knowledge', 7, true),
         ('category_creators', 'Category', 8, true)
$$;

CREATE OR REPLACE FUNCTION emailai_migration.backfill_batch(p_pass text, p_after text, p_size integer,
                                                            p_upto text DEFAULT NULL, p_job boolean DEFAULT false)
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

  -- The batch: the next p_size keys of the driving table, by its primary key, up to
  -- p_upto (the end of a --jobs range) when given.
  EXECUTE format('SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM public.%I
                   WHERE id > coalesce($1, '''') AND ($3::text IS NULL OR id <= $3)
                   ORDER BY id LIMIT $2) batch', v_table)
    INTO v_ids USING p_after, p_size, p_upto;
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

  IF NOT p_job THEN
    INSERT INTO emailai_migration.backfill_checkpoint AS c (pass, last_key, rows_done, finished)
    VALUES (p_pass, last_key, rows_seen, rows_seen < p_size)
    ON CONFLICT (pass) DO UPDATE
      SET last_key = EXCLUDED.last_key,
          rows_done = c.rows_done + EXCLUDED.rows_done,
          finished = EXCLUDED.finished,
          updated_at = now();
  END IF;
  RETURN NEXT;
END $$;

-- The keys that split what is left of a parallel pass after p_after into p_jobs
-- ranges of about equal size (at most p_jobs - 1 keys, ascending): range j is
-- (key j-1, key j], the last one open-ended. One ordered scan of the driving
-- table's primary key; reads only.
CREATE OR REPLACE FUNCTION emailai_migration.backfill_split_keys(p_pass text, p_after text, p_jobs integer)
RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_table text;
  v_keys text[];
BEGIN
  SELECT p.driving_table INTO v_table FROM emailai_migration.backfill_passes() p WHERE p.pass = p_pass AND p.parallel;
  IF v_table IS NULL THEN
    RAISE EXCEPTION 'backfill pass "%" is not a parallel pass', p_pass;
  END IF;
  EXECUTE format('SELECT array_agg(part_end ORDER BY part_end)
                  FROM (SELECT part, max(id) AS part_end
                        FROM (SELECT id, ntile($2) OVER (ORDER BY id) AS part
                              FROM public.%I WHERE id > coalesce($1, '''')) keyed
                        GROUP BY part) parts
                  WHERE part < $2', v_table)
    INTO v_keys USING p_after, greatest(p_jobs, 1);
  RETURN coalesce(v_keys, '{}');
END $$;

-- The checkpoint of a pass walked by several jobs: every key up to p_last_key is
-- done (the runner passes the end of what the ranges finished without a gap; NULL:
-- nothing new), p_rows more rows were read, p_finished once every range is done.
-- Never moves back: of two calls committed out of order the larger key stays.
CREATE OR REPLACE FUNCTION emailai_migration.backfill_checkpoint_advance(p_pass text, p_last_key text, p_rows integer, p_finished boolean)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO emailai_migration.backfill_checkpoint AS c (pass, last_key, rows_done, finished)
  VALUES (p_pass, p_last_key, p_rows, p_finished)
  ON CONFLICT (pass) DO UPDATE
    SET last_key = CASE WHEN c.last_key IS NULL THEN EXCLUDED.last_key
                        WHEN EXCLUDED.last_key IS NULL THEN c.last_key
                        ELSE greatest(c.last_key, EXCLUDED.last_key) END,
        rows_done = c.rows_done + EXCLUDED.rows_done,
        finished = c.finished OR EXCLUDED.finished,
        updated_at = now()
$$;
