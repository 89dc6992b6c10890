-- 330_rollback_functions.sql
-- What:     the data rollback and the repairs, as functions in the package's schema,
--           called by `runner.ts rollback` and `runner.ts repair` one short transaction
--           per batch (keyset over the table's primary key, like sql/310):
--             rollback_plan(level, organization, force)     what a rollback would undo
--                                                          and what it keeps (counts)
--             rollback_unlink_email_accounts_batch(...)     "EmailAccount"."organizationId"
--             rollback_unlink_premiums_batch(...)           "Organization"."premiumId"
--             rollback_delete_organizations_batch(...)      "Organization" + its members
--             organization_batch(after, size, organization) the keyset batch of both
--             reset_seats(premiums)                         seats after links are removed
--             rollback_changed_organizations(organization)  the organizations kept
--                                                          because the new app wrote
--                                                          them, and what it changed
--             repair_user(user)                             rules 1-3 for one user
--           The rule: only what the registry (sql/020) says the migration wrote, and
--           only while the row still holds what the migration wrote. What the new app
--           wrote afterwards (an inbox moved, a premium re-linked, a member invited, an
--           organization created) is kept, unless p_force. An organization the
--           migration created counts as the new app's once the app changed it: a
--           column other than written (name, slug, domain, logoUrl), a premium the
--           migration did not link or its link removed, a membership other than the
--           migration wrote (sql/020's organizations_edited_by_app and
--           memberships_not_written), an inbox the migration did not link there. The
--           same test in rollback_plan (so --dry-run says what the run does) and in
--           the delete batch, with or without p_organization_id. No "EmailAccount" row is
--           ever deleted: an organization is deleted only when no inbox is linked to it
--           ("EmailAccount_organizationId_fkey" is ON DELETE CASCADE), checked after
--           the organization rows are locked FOR UPDATE, so no inbox can be linked to
--           them between the check and the delete (the FK check needs KEY SHARE).
--           Resources' "createdBy" (rule 4) is not undone: nothing records which
--           values the migration set, and the columns go with `--schema`.
-- Requires: 020, 300, the tables and columns of steps 110-114.
-- Locks:    none when installed. A batch takes ROW EXCLUSIVE on the tables it writes
--           and row locks on at most `size` rows, for one short transaction.
-- Re-run:   safe (CREATE OR REPLACE). Every batch is guarded: run twice, or again
--           after a crash, it changes nothing the second time.
-- Undo:     rollback/330_rollback_functions.sql
-- transaction: yes

-- Seats of premiums whose links changed: a premium still linked to an organization
-- gets rule 3 (recompute_seats); one linked to none gets back what it had before the
-- backfill, the defaults of sql/114 (usedSeats 1, maxSeats NULL). Returns rows written.
CREATE OR REPLACE FUNCTION emailai_migration.reset_seats(p_premium_ids text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_reset integer;
BEGIN
  UPDATE public."Premium" p SET "usedSeats" = 1, "maxSeats" = NULL
  WHERE p.id = ANY (p_premium_ids)
    AND NOT EXISTS (SELECT 1 FROM public."Organization" o WHERE o."premiumId" = p.id)
    AND (p."usedSeats" <> 1 OR p."maxSeats" IS NOT NULL);
  GET DIAGNOSTICS v_reset = ROW_COUNT;
  RETURN v_reset + emailai_migration.recompute_seats(p_premium_ids);
END $$;

-- Pass 1: inboxes of the batch linked by the migration (the registry holds the same
-- organization) are unlinked and their registry row removed; with p_force, every
-- linked inbox of the batch. Registry rows of inboxes no longer linked, or gone, are
-- removed (nothing to undo). An inbox the new app moved keeps its link and its registry row
-- (rollback_plan reports it).
CREATE OR REPLACE FUNCTION emailai_migration.rollback_unlink_email_accounts_batch(
  p_after text, p_size integer, p_organization_id text, p_force boolean)
RETURNS TABLE (last_key text, rows_seen integer, rows_changed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[];
BEGIN
  -- id > coalesce(p_after, ''): one index range condition, also in the generic plan
  -- plpgsql caches (an OR with p_after IS NULL would scan from the start every batch).
  SELECT array_agg(id ORDER BY id) INTO v_ids FROM (
    SELECT ea.id FROM public."EmailAccount" ea
    WHERE ea.id > coalesce(p_after, '')
      AND (p_organization_id IS NULL OR ea."organizationId" = p_organization_id)
    ORDER BY ea.id LIMIT p_size) batch;
  rows_seen := coalesce(cardinality(v_ids), 0);
  last_key := coalesce(v_ids[rows_seen], p_after);

  WITH target AS (
    SELECT ea.id
    FROM public."EmailAccount" ea
    LEFT JOIN emailai_migration.linked_email_account l ON l.email_account_id = ea.id
    WHERE ea.id = ANY (v_ids) AND ea."organizationId" IS NOT NULL
      AND (l.organization_id = ea."organizationId" OR p_force)
    FOR UPDATE OF ea
  ), unlinked AS (
    UPDATE public."EmailAccount" ea SET "organizationId" = NULL
    FROM target t WHERE ea.id = t.id
    RETURNING ea.id
  )
  SELECT count(*)::integer INTO rows_changed FROM unlinked;

  DELETE FROM emailai_migration.linked_email_account l
  USING public."EmailAccount" ea
  WHERE l.email_account_id = ANY (v_ids) AND ea.id = l.email_account_id
    AND ea."organizationId" IS NULL;
  -- Registry rows of inboxes deleted since (their user's account deletion cascaded)
  -- in this batch's key range (the last batch: to the end) record nothing any more.
  -- Whole-database only: with p_organization_id the range is not the inboxes'.
  IF p_organization_id IS NULL THEN
    DELETE FROM emailai_migration.linked_email_account l
    WHERE l.email_account_id > coalesce(p_after, '')
      AND (rows_seen < p_size OR l.email_account_id <= last_key)
      AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea.id = l.email_account_id);
  END IF;
  RETURN NEXT;
END $$;

-- The next p_size organizations after p_after (all, or only p_organization_id), by id:
-- the keyset batch of passes 2 and 3.
CREATE OR REPLACE FUNCTION emailai_migration.organization_batch(p_after text, p_size integer, p_organization_id text)
RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT array_agg(id ORDER BY id) FROM (
    SELECT o.id FROM public."Organization" o
    WHERE o.id > coalesce(p_after, '')
      AND (p_organization_id IS NULL OR o.id = p_organization_id)
    ORDER BY o.id LIMIT p_size) batch
$$;

-- Pass 2: organizations of the batch whose premium is the one the migration linked
-- get "premiumId" NULL and lose their registry row; with p_force, every premium link
-- of the batch. The seats of the premiums concerned follow (reset_seats).
CREATE OR REPLACE FUNCTION emailai_migration.rollback_unlink_premiums_batch(
  p_after text, p_size integer, p_organization_id text, p_force boolean)
RETURNS TABLE (last_key text, rows_seen integer, rows_changed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[];
  v_premium_ids text[];
BEGIN
  v_ids := emailai_migration.organization_batch(p_after, p_size, p_organization_id);
  rows_seen := coalesce(cardinality(v_ids), 0);
  last_key := coalesce(v_ids[rows_seen], p_after);

  WITH target AS (
    SELECT o.id, o."premiumId" AS premium_id
    FROM public."Organization" o
    LEFT JOIN emailai_migration.linked_premium l ON l.organization_id = o.id
    WHERE o.id = ANY (v_ids) AND o."premiumId" IS NOT NULL
      AND (l.premium_id = o."premiumId" OR p_force)
    FOR UPDATE OF o
  ), unlinked AS (
    UPDATE public."Organization" o SET "premiumId" = NULL
    FROM target t WHERE o.id = t.id
    RETURNING o.id, t.premium_id
  ), forgotten AS (
    DELETE FROM emailai_migration.linked_premium l
    USING unlinked u WHERE l.organization_id = u.id
    RETURNING 1
  )
  SELECT array_agg(DISTINCT premium_id) INTO v_premium_ids FROM unlinked;
  rows_changed := coalesce(cardinality(v_premium_ids), 0);

  -- A registry row whose premium was deleted records nothing any more (the link went
  -- with it, ON DELETE SET NULL). One whose link the new app removed while the
  -- premium exists stays: it marks the organization as changed by the app.
  DELETE FROM emailai_migration.linked_premium l
  USING public."Organization" o
  WHERE l.organization_id = ANY (v_ids) AND o.id = l.organization_id
    AND o."premiumId" IS NULL
    AND NOT EXISTS (SELECT 1 FROM public."Premium" p WHERE p.id = l.premium_id);
  IF v_premium_ids IS NOT NULL THEN
    PERFORM emailai_migration.reset_seats(v_premium_ids);
  END IF;
  RETURN NEXT;
END $$;

-- Pass 3: organizations of the batch the migration created (personal, or team: rule 3)
-- that still hold only what it wrote (no inbox linked, no premium, columns as written,
-- no membership but those it wrote, as written) are deleted with those memberships and
-- their registry rows. With p_force, every
-- organization of the batch, the new app's too: its inboxes unlinked first, its
-- premium unlinked (seats follow), its members deleted. Either way the DELETE itself
-- re-checks that no inbox is linked.
CREATE OR REPLACE FUNCTION emailai_migration.rollback_delete_organizations_batch(
  p_after text, p_size integer, p_organization_id text, p_force boolean)
RETURNS TABLE (last_key text, rows_seen integer, rows_changed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[];
  v_doomed text[];
  v_changed text[];
  v_premium_ids text[];
BEGIN
  v_ids := emailai_migration.organization_batch(p_after, p_size, p_organization_id);
  rows_seen := coalesce(cardinality(v_ids), 0);
  last_key := coalesce(v_ids[rows_seen], p_after);
  IF rows_seen = 0 THEN
    rows_changed := 0;
    RETURN NEXT;
    RETURN;
  END IF;

  -- Lock first: from here no inbox or member can be attached to these rows.
  -- (A membership added later needs KEY SHARE on its organization: it waits, and then
  -- fails on the deleted row.)
  PERFORM 1 FROM public."Organization" o WHERE o.id = ANY (v_ids) ORDER BY o.id FOR UPDATE;

  IF NOT p_force THEN
    SELECT coalesce(array_agg(x.id), '{}') INTO v_changed FROM (
      SELECT e.organization_id AS id FROM emailai_migration.organizations_edited_by_app(v_ids) e
      UNION
      SELECT m.organization_id FROM emailai_migration.memberships_not_written(v_ids) m) x;
  END IF;

  -- A team organization (rule 3, emailai_migration.team_organization) is the
  -- migration's too; its members are those team_membership records.
  SELECT array_agg(o.id) INTO v_doomed
  FROM public."Organization" o
  LEFT JOIN emailai_migration.created_organization c ON c.organization_id = o.id
  LEFT JOIN emailai_migration.team_organization t ON t.organization_id = o.id
  WHERE o.id = ANY (v_ids)
    AND (p_force OR (
          (c.organization_id IS NOT NULL OR t.organization_id IS NOT NULL)
          AND o."premiumId" IS NULL
          AND o.id <> ALL (v_changed)
          AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea."organizationId" = o.id)));
  IF v_doomed IS NULL THEN
    rows_changed := 0;
    RETURN NEXT;
    RETURN;
  END IF;

  IF p_force THEN
    UPDATE public."EmailAccount" SET "organizationId" = NULL WHERE "organizationId" = ANY (v_doomed);
    DELETE FROM emailai_migration.linked_email_account WHERE organization_id = ANY (v_doomed);
    WITH unlinked AS (
      UPDATE public."Organization" o SET "premiumId" = NULL
      FROM public."Organization" before
      WHERE o.id = ANY (v_doomed) AND before.id = o.id AND o."premiumId" IS NOT NULL
      RETURNING before."premiumId" AS premium_id
    )
    SELECT array_agg(DISTINCT premium_id) INTO v_premium_ids FROM unlinked;
  END IF;

  DELETE FROM public."OrganizationMember" m WHERE m."organizationId" = ANY (v_doomed);
  WITH deleted AS (
    DELETE FROM public."Organization" o
    WHERE o.id = ANY (v_doomed)
      AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea."organizationId" = o.id)
    RETURNING o.id
  ), forgotten AS (
    -- written_organization and created_membership go with it (ON DELETE CASCADE).
    DELETE FROM emailai_migration.created_organization c
    USING deleted d WHERE c.organization_id = d.id
    RETURNING 1
  ), forgotten_premium AS (
    DELETE FROM emailai_migration.linked_premium l
    USING deleted d WHERE l.organization_id = d.id
    RETURNING 1), forgotten_team AS (
    DELETE FROM emailai_migration.team_organization t
    USING deleted d WHERE t.organization_id = d.id
    RETURNING 1
  ), forgotten_team_members AS (
    DELETE FROM emailai_migration.team_membership tm
    USING deleted d WHERE tm.organization_id = d.id
    RETURNING 1
  )
  SELECT count(*)::integer INTO rows_changed FROM deleted;

  IF v_premium_ids IS NOT NULL THEN
    PERFORM emailai_migration.reset_seats(v_premium_ids);
  END IF;
  -- Members removed from organizations linked to premiums? Only the doomed ones'
  -- members were deleted, and their premium links went with them (above).
  RETURN NEXT;
END $$;

-- What a rollback of p_level ('keep-orgs' | 'orgs') would undo and what it keeps,
-- as (item, action, rows); read-only. Run after a rollback, the 'keep' rows are what
-- it kept: the new app's writes, reported.
CREATE OR REPLACE FUNCTION emailai_migration.rollback_plan(p_level text, p_organization_id text, p_force boolean)
RETURNS TABLE (item text, action text, rows bigint)
LANGUAGE sql STABLE AS $$
  WITH inboxes AS (
    SELECT ea.id, (l.organization_id = ea."organizationId") AS ours, l.email_account_id IS NOT NULL AS registered
    FROM public."EmailAccount" ea
    LEFT JOIN emailai_migration.linked_email_account l ON l.email_account_id = ea.id
    WHERE ea."organizationId" IS NOT NULL
      AND (p_organization_id IS NULL OR ea."organizationId" = p_organization_id)
  ), premiums AS (
    SELECT o.id, coalesce(l.premium_id = o."premiumId", false) AS ours, l.organization_id IS NOT NULL AS registered
    FROM public."Organization" o
    LEFT JOIN emailai_migration.linked_premium l ON l.organization_id = o.id
    WHERE o."premiumId" IS NOT NULL
      AND (p_organization_id IS NULL OR o.id = p_organization_id)
  ), organizations AS (
    SELECT o.id,
           (c.organization_id IS NOT NULL OR t.organization_id IS NOT NULL) AS ours,
           (e.organization_id IS NOT NULL OR am.organization_id IS NOT NULL OR EXISTS (
              SELECT 1 FROM public."EmailAccount" ea
              LEFT JOIN emailai_migration.linked_email_account l ON l.email_account_id = ea.id
              WHERE ea."organizationId" = o.id
                AND l.organization_id IS DISTINCT FROM ea."organizationId")) AS changed
    FROM public."Organization" o
    LEFT JOIN emailai_migration.created_organization c ON c.organization_id = o.id
    LEFT JOIN emailai_migration.team_organization t ON t.organization_id = o.id
    LEFT JOIN emailai_migration.organizations_edited_by_app(
                CASE WHEN p_organization_id IS NOT NULL THEN ARRAY[p_organization_id] END) e
           ON e.organization_id = o.id
    LEFT JOIN (SELECT DISTINCT m.organization_id FROM emailai_migration.memberships_not_written(
                 CASE WHEN p_organization_id IS NOT NULL THEN ARRAY[p_organization_id] END) m) am
           ON am.organization_id = o.id
    WHERE p_organization_id IS NULL OR o.id = p_organization_id
  )
  SELECT 'inboxes linked by the migration', 'unlink', count(*) FILTER (WHERE ours)
  FROM inboxes
  UNION ALL
  SELECT 'inboxes the new app moved to another organization', CASE WHEN p_force THEN 'unlink' ELSE 'keep' END,
         count(*) FILTER (WHERE registered AND NOT ours) FROM inboxes
  UNION ALL
  SELECT 'inboxes the new app linked', CASE WHEN p_force THEN 'unlink' ELSE 'keep' END,
         count(*) FILTER (WHERE NOT registered) FROM inboxes
  UNION ALL
  SELECT 'premiums linked by the migration', 'unlink', count(*) FILTER (WHERE ours) FROM premiums
  UNION ALL
  SELECT 'premiums the new app linked or re-linked', CASE WHEN p_force THEN 'unlink' ELSE 'keep' END,
         count(*) FILTER (WHERE NOT ours) FROM premiums
  UNION ALL
  SELECT 'organizations the migration created', CASE WHEN p_level = 'orgs' THEN 'delete' ELSE 'keep' END,
         count(*) FILTER (WHERE ours AND NOT changed) FROM organizations
  UNION ALL
  SELECT 'organizations the migration created, since changed by the new app (columns, premium, members or inboxes)',
         CASE WHEN p_level = 'orgs' AND p_force THEN 'delete' ELSE 'keep' END,
         count(*) FILTER (WHERE ours AND changed) FROM organizations
  UNION ALL
  SELECT 'organizations the new app created', CASE WHEN p_level = 'orgs' AND p_force THEN 'delete' ELSE 'keep' END,
         count(*) FILTER (WHERE NOT ours) FROM organizations
$$;

-- The organizations a rollback keeps because the new app wrote them (all, or only
-- p_organization_id), first p_limit by id: the new app's own, and the migration's
-- the app changed, with what changed ('columns', 'premium', 'premium removed',
-- 'members', 'inboxes'). Read-only; what `runner.ts rollback` lists under "kept".
CREATE OR REPLACE FUNCTION emailai_migration.rollback_changed_organizations(p_organization_id text, p_limit integer)
RETURNS TABLE (organization_id text, name text, created_by_migration boolean, changes text[])
LANGUAGE sql STABLE AS $$
  WITH scope AS (
    SELECT CASE WHEN p_organization_id IS NOT NULL THEN ARRAY[p_organization_id] END AS ids
  ), changes AS (
    SELECT e.organization_id, unnest(e.changes) AS change
    FROM scope, emailai_migration.organizations_edited_by_app(scope.ids) e
    UNION
    SELECT m.organization_id, 'members' FROM scope, emailai_migration.memberships_not_written(scope.ids) m
    UNION
    SELECT ea."organizationId", 'inboxes'
    FROM public."EmailAccount" ea
    LEFT JOIN emailai_migration.linked_email_account l ON l.email_account_id = ea.id
    WHERE ea."organizationId" IS NOT NULL
      AND (p_organization_id IS NULL OR ea."organizationId" = p_organization_id)
      AND l.organization_id IS DISTINCT FROM ea."organizationId"
  ), per_organization AS (
    SELECT ch.organization_id, array_agg(DISTINCT ch.change ORDER BY ch.change) AS changes
    FROM changes ch GROUP BY ch.organization_id
  )
  SELECT o.id, o.name, (c.organization_id IS NOT NULL OR t.organization_id IS NOT NULL), coalesce(p.changes, '{}')
  FROM public."Organization" o
  LEFT JOIN emailai_migration.created_organization c ON c.organization_id = o.id
  LEFT JOIN emailai_migration.team_organization t ON t.organization_id = o.id
  LEFT JOIN per_organization p ON p.organization_id = o.id
  WHERE (p_organization_id IS NULL OR o.id = p_organization_id)
    AND ((c.organization_id IS NULL AND t.organization_id IS NULL) OR p.organization_id IS NOT NULL)
  ORDER BY o.id
  LIMIT p_limit
$$;

-- `repair --user`: rules 1-3 for one user, created_by 'repair' (SPEC "Repair"). It
-- never makes anyone OWNER of an organization somebody else owns or the new app
-- changed. A user who owns no organization gets back the OWNER membership of the
-- personal organization the migration made for them only while that organization is
-- exactly as the migration wrote it: nobody owns it, its columns and premium are as
-- written, no membership but those the migration wrote for this user. (Another
-- user's inbox linked into it does not block: that user's repair moves it out, and
-- email_accounts_in_organization_owner_does_not_own names it.) Otherwise (Alice made Bob OWNER of it and left; the app renamed
-- it; it was deleted) they get a fresh personal organization: the migration's
-- deterministic one when its id is free, else 'mig_rep_<user id>[_n]' with a slug
-- suffix derived from that id. Their inboxes with no organization, or in an
-- organization they do not own, go to their home organization; their premium is
-- linked; the seats of every premium concerned are recomputed. Idempotent: a second
-- run finds the user owning an organization and changes nothing.
CREATE OR REPLACE FUNCTION emailai_migration.repair_user(p_user_id text)
RETURNS TABLE (ownership_restored integer, organizations_created integer, inboxes_relinked integer, premiums_linked integer, seats_recomputed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_home text;
  v_premium_ids text[];
  v_linked text[];
  v_personal text;
  v_membership text;
  v_organization_id text;
  v_suffix integer;
  v_n integer := 1;
BEGIN
  -- The user's row locked: a concurrent trigger for the same user waits.
  PERFORM 1 FROM public."User" WHERE id = p_user_id FOR UPDATE;
  ownership_restored := 0;
  organizations_created := 0;
  -- Registry rows of organizations deleted by hand record nothing any more.
  DELETE FROM emailai_migration.created_organization c
  WHERE c.user_id = p_user_id
    AND NOT EXISTS (SELECT 1 FROM public."Organization" o WHERE o.id = c.organization_id);
  IF NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m WHERE m."userId" = p_user_id AND m.role = 'OWNER') THEN
    -- A personal organization of the migration's, still as written (see above).
    SELECT c.organization_id, c.membership_id INTO v_personal, v_membership
    FROM emailai_migration.created_organization c
    JOIN public."Organization" o ON o.id = c.organization_id
    WHERE c.user_id = p_user_id
      AND NOT EXISTS (SELECT 1 FROM emailai_migration.created_membership cm
                      WHERE cm.organization_id = c.organization_id AND cm.user_id <> p_user_id)
      AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m
                      WHERE m."organizationId" = c.organization_id AND m.role = 'OWNER')
      AND NOT EXISTS (SELECT 1 FROM emailai_migration.memberships_not_written(ARRAY[c.organization_id]))
      AND NOT EXISTS (SELECT 1 FROM emailai_migration.organizations_edited_by_app(ARRAY[c.organization_id]))
    ORDER BY o."createdAt", o.id
    LIMIT 1;
    IF v_personal IS NOT NULL THEN
      INSERT INTO public."OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
      VALUES (v_membership, now(), now(), 'OWNER', p_user_id, v_personal)
      ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS ownership_restored = ROW_COUNT;
      INSERT INTO emailai_migration.created_membership (membership_id, organization_id, user_id, role)
      VALUES (v_membership, v_personal, p_user_id, 'OWNER')
      ON CONFLICT (membership_id) DO UPDATE
        SET organization_id = EXCLUDED.organization_id, user_id = EXCLUDED.user_id, role = EXCLUDED.role;
    ELSIF NOT EXISTS (SELECT 1 FROM public."Organization" o
                      WHERE o.id = emailai_migration.personal_organization_id(p_user_id)) THEN
      organizations_created := emailai_migration.create_personal_organizations(ARRAY[p_user_id], 'repair');
    ELSE
      -- The migration's personal organization exists but is somebody else's now, or
      -- the new app's: a fresh one beside it.
      LOOP
        v_organization_id := 'mig_rep_' || p_user_id || CASE WHEN v_n = 1 THEN '' ELSE '_' || v_n END;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM public."Organization" o WHERE o.id = v_organization_id)
              AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m
                              WHERE m.id = 'mig_rem_' || substr(v_organization_id, length('mig_rep_') + 1));
        v_n := v_n + 1;
      END LOOP;
      v_membership := 'mig_rem_' || substr(v_organization_id, length('mig_rep_') + 1);
      v_suffix := 6;
      LOOP
        INSERT INTO public."Organization" (id, "createdAt", "updatedAt", name, slug)
        SELECT v_organization_id, now(), now(),
               emailai_migration.personal_organization_name(u.name, u.email),
               emailai_migration.personal_organization_slug(u.email, v_organization_id, v_suffix)
        FROM public."User" u
        WHERE u.id = p_user_id
          AND NOT EXISTS (SELECT 1 FROM public."Organization" o
                          WHERE o.slug = emailai_migration.personal_organization_slug(u.email, v_organization_id, v_suffix))
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS organizations_created = ROW_COUNT;
        EXIT WHEN organizations_created > 0 OR v_suffix >= 32;
        v_suffix := v_suffix + 2;
      END LOOP;
      IF organizations_created > 0 THEN
        INSERT INTO public."OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
        VALUES (v_membership, now(), now(), 'OWNER', p_user_id, v_organization_id);
        -- Its own statement: the registry's trigger reads the rows inserted above.
        INSERT INTO emailai_migration.created_organization (organization_id, user_id, membership_id, created_by)
        VALUES (v_organization_id, p_user_id, v_membership, 'repair');
      END IF;
    END IF;
  END IF;
  v_home := emailai_migration.home_organization(p_user_id);

  -- Premiums whose seats may change: those of the organizations the inboxes leave.
  SELECT array_agg(DISTINCT o."premiumId") INTO v_premium_ids
  FROM public."EmailAccount" ea JOIN public."Organization" o ON o.id = ea."organizationId"
  WHERE ea."userId" = p_user_id AND o."premiumId" IS NOT NULL;

  WITH moved AS (
    UPDATE public."EmailAccount" ea SET "organizationId" = v_home
    WHERE ea."userId" = p_user_id AND v_home IS NOT NULL
      AND ea."organizationId" IS DISTINCT FROM v_home
      AND (ea."organizationId" IS NULL OR NOT EXISTS (
            SELECT 1 FROM public."OrganizationMember" m
            WHERE m."userId" = p_user_id AND m."organizationId" = ea."organizationId" AND m.role = 'OWNER'))
    RETURNING ea.id
  ), recorded AS (
    INSERT INTO emailai_migration.linked_email_account (email_account_id, organization_id)
    SELECT id, v_home FROM moved
    ON CONFLICT (email_account_id) DO UPDATE SET organization_id = EXCLUDED.organization_id, linked_at = now()
    RETURNING 1
  )
  SELECT count(*)::integer INTO inboxes_relinked FROM recorded;

  v_linked := emailai_migration.link_premiums(ARRAY[p_user_id]);
  premiums_linked := cardinality(v_linked);
  v_premium_ids := coalesce(v_premium_ids, '{}') || v_linked;
  SELECT coalesce(array_agg(DISTINCT x), '{}') INTO v_premium_ids
  FROM unnest(v_premium_ids || ARRAY(SELECT "premiumId" FROM public."User" WHERE id = p_user_id AND "premiumId" IS NOT NULL)) x;
  seats_recomputed := emailai_migration.recompute_seats(v_premium_ids);
  RETURN NEXT;
END $$;
