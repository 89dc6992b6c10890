-- 319_window_trigger_probe.sql
-- What:     emailai_migration.window_trigger_probe(role): does, as that role, each
--           write of the old app that fires a window trigger (a sign-up with a plan,
--           a plan change, a new inbox, an inbox changing owner, a new rule, group,
--           knowledge entry and category, an account deletion), each in a
--           subtransaction, and returns one row per write: NULL error_code when it
--           worked, else the error the app would have seen. Then, as the caller, it
--           checks that the triggers did their work. The caller runs it inside a
--           transaction it rolls back (lib/window-triggers.ts): preflight and the
--           schema phase use it to prove every writer can fire every trigger before
--           anything is changed.
-- Security: SECURITY INVOKER (the default): it switches to the role with
--           set_config('role', …, true), which PostgreSQL allows only where the
--           caller may SET ROLE to it anyway; it grants nothing. The role name is
--           only ever a value of set_config and has_table_privilege, never SQL text;
--           the statements it EXECUTEs are the constants of this file, with the
--           probe's own ids as parameters.
--           search_path is pinned and every name qualified. EXECUTE is revoked from
--           PUBLIC (sql/390): only the migrator calls it.
-- Requires: the tables of 110-114 and 210-213 (the triggers, 321-328, are installed by the caller in its transaction).
-- Locks:    none (CREATE OR REPLACE FUNCTION). A call takes row locks on the rows it
--           inserts and ROW EXCLUSIVE on the tables it writes: nothing the app waits on.
-- Re-run:   safe (CREATE OR REPLACE).
-- Undo:     rollback/319_window_trigger_probe.sql; `runner.ts cleanup`.
-- transaction: yes

CREATE OR REPLACE FUNCTION emailai_migration.window_trigger_probe(p_role text)
RETURNS TABLE (action text, error_code text, error_message text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- $1 the probe's tag, $2 its premium, $3/$4 its users, $5/$6 their inboxes.
  -- COLLATE "default": a PL/pgSQL function's text variables otherwise take the
  -- collation of its call's argument, and a call with current_user (a name, collation
  -- "C") would compare them to the app's keys in "C": no index of the default
  -- collation could serve them, and the checks below would scan, inside the locks.
  v_tag text COLLATE "default" := 'probe_' || md5(random()::text || clock_timestamp()::text);
  v_premium text COLLATE "default" := v_tag || '_premium';
  v_user0 text COLLATE "default" := v_tag || '_user0';
  v_user1 text COLLATE "default" := v_tag || '_user1';
  v_inbox0 text COLLATE "default" := v_tag || '_inbox0';
  v_inbox1 text COLLATE "default" := v_tag || '_inbox1';
  v_write record;
  v_statement text;
BEGIN
  -- What the writes below need, written as the caller (the triggers fire for it too).
  INSERT INTO public."Premium" (id, "updatedAt") VALUES (v_premium, now());
  INSERT INTO public."User" (id, "updatedAt", email, name)
  VALUES (v_user0, now(), v_user0 || '@emailai-migration.invalid', 'Preflight Probe');
  INSERT INTO public."Account" (id, "updatedAt", "userId", type, provider, "providerAccountId")
  VALUES (v_user0, now(), v_user0, 'oauth', 'emailai-migration-probe', v_user0);
  INSERT INTO public."EmailAccount" (id, "updatedAt", email, "userId", "accountId")
  VALUES (v_inbox0, now(), v_inbox0 || '@emailai-migration.invalid', v_user0, v_user0);

  -- Each write as p_role, in a subtransaction of its own (BEGIN … EXCEPTION): the role
  -- is set inside it, so an error (which undoes the block's settings) cannot leave a
  -- later write running as the caller. A write the role has no privilege for is
  -- skipped: the app cannot do it either, so no trigger fires on its behalf. After
  -- each write, what the next ones need is made sure of as the caller.
  FOR v_write IN
    SELECT * FROM (VALUES
      (1, 'sign-up: INSERT "User" with a premium', 'public."User"', 'INSERT',
       $w$INSERT INTO public."User" (id, "updatedAt", email, name, "premiumId")
          VALUES ($4, now(), $4 || '@emailai-migration.invalid', 'Preflight Probe', $2)$w$,
       ARRAY[$w$INSERT INTO public."User" (id, "updatedAt", email, name)
                VALUES ($4, now(), $4 || '@emailai-migration.invalid', 'Preflight Probe') ON CONFLICT DO NOTHING$w$,
             $w$INSERT INTO public."Account" (id, "updatedAt", "userId", type, provider, "providerAccountId")
                VALUES ($4, now(), $4, 'oauth', 'emailai-migration-probe', $4)$w$]),
      (2, 'plan change: UPDATE "User"."premiumId"', 'public."User"', 'UPDATE',
       $w$UPDATE public."User" SET "premiumId" = $2 WHERE id = $3$w$, NULL::text[]),
      (3, 'new inbox: INSERT "EmailAccount"', 'public."EmailAccount"', 'INSERT',
       $w$INSERT INTO public."EmailAccount" (id, "updatedAt", email, "userId", "accountId")
          VALUES ($6, now(), $6 || '@emailai-migration.invalid', $4, $4)$w$, NULL),
      (4, 'inbox owner change: UPDATE "EmailAccount"."userId"', 'public."EmailAccount"', 'UPDATE',
       $w$UPDATE public."EmailAccount" SET "userId" = $4 WHERE id = $5$w$,
       -- back to its owner: the deletion below must not take it (and "Knowledge",
       -- ON DELETE RESTRICT, would refuse it)
       ARRAY[$w$UPDATE public."EmailAccount" SET "userId" = $3 WHERE id = $5$w$]),
      (5, 'new rule: INSERT "Rule"', 'public."Rule"', 'INSERT',
       $w$INSERT INTO public."Rule" (id, "updatedAt", name, "emailAccountId") VALUES ($1 || '_rule', now(), $1, $5)$w$, NULL),
      (6, 'new group: INSERT "Group"', 'public."Group"', 'INSERT',
       $w$INSERT INTO public."Group" (id, "updatedAt", name, "emailAccountId") VALUES ($1 || '_group', now(), $1, $5)$w$, NULL),
      (7, 'new knowledge: INSERT "Knowledge"', 'public."Knowledge"', 'INSERT',
       $w$INSERT INTO public."Knowledge" (id, "updatedAt", title, content, "emailAccountId") VALUES ($1 || '_knowledge', now(), $1, '', $5)$w$, NULL),
      (8, 'new category: INSERT "Category"', 'public."Category"', 'INSERT',
       $w$INSERT INTO public."Category" (id, "updatedAt", name, "emailAccountId") VALUES ($1 || '_category', now(), $1, $5)$w$, NULL),
      (9, 'account deletion: DELETE "User"', 'public."User"', 'DELETE',
       $w$DELETE FROM public."User" WHERE id = $4$w$, NULL)
    ) AS w(ord, action, table_name, privilege, statement, afterwards)
    ORDER BY ord
  LOOP
    -- Before the deletion: the triggers' work so far, checked as the caller (a write
    -- that "worked" because no trigger fired proves nothing).
    IF v_write.ord = 9 THEN
      action := 'the triggers did their work';
      error_message := CASE
        WHEN NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m WHERE m."userId" = v_user1 AND m.role = 'OWNER')
          THEN 'the new user got no organization'
        WHEN EXISTS (SELECT 1 FROM public."EmailAccount" WHERE id = v_inbox1 AND "organizationId" IS NULL)
          THEN 'the new inbox was not linked to an organization'
        WHEN EXISTS (SELECT 1 FROM public."Rule" WHERE id = v_tag || '_rule' AND "createdBy" IS NULL)
          THEN 'the new rule got no creator'
      END;
      error_code := CASE WHEN error_message IS NOT NULL THEN 'P0001' END;
      RETURN NEXT;
    END IF;
    IF has_table_privilege(p_role, v_write.table_name, v_write.privilege) THEN
      action := v_write.action;
      BEGIN
        PERFORM set_config('role', p_role, true);
        EXECUTE v_write.statement USING v_tag, v_premium, v_user0, v_user1, v_inbox0, v_inbox1;
        PERFORM set_config('role', 'none', true);
        error_code := NULL; error_message := NULL;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
      END;
      RETURN NEXT;
    END IF;
    FOREACH v_statement IN ARRAY coalesce(v_write.afterwards, '{}') LOOP
      EXECUTE v_statement USING v_tag, v_premium, v_user0, v_user1, v_inbox0, v_inbox1;
    END LOOP;
  END LOOP;
END $$;
