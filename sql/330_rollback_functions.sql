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
--             repair_user(user)                             rules 1-3 for one user
--           The rule: only what the registry (sql/020) says the migration wrote, and
--           only while the row still holds what the migration wrote. What the new app
--           wrote afterwards (an inbox moved, a premium re-linked, a member invited, an
--           organization created) is kept, unless p_force. No "EmailAccount" row is
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
-- squawk:   require-lock-timeout: lock_timeout is set by the runner for every step (lib/steps.ts, SET LOCAL, --lock-timeout), with retries.
-- squawk:   require-statement-timeout: no statement_timeout on purpose: a metadata change waits only lock_timeout, and a scan (VALIDATE, CONCURRENTLY) must finish, not be cut.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout

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
-- linked inbox of the batch. Registry rows of inboxes no longer linked are removed
-- (nothing to undo). An inbox the new app moved keeps its link and its registry row
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
    RETURNING t.premium_id
  )
  SELECT array_agg(DISTINCT premium_id) INTO v_premium_ids FROM unlinked;
  rows_changed := coalesce(cardinality(v_premium_ids), 0);

  DELETE FROM emailai_migration.linked_premium l
  USING public."Organization" o
  WHERE l.organization_id = ANY (v_ids) AND o.id = l.organization_id
    AND o."premiumId" IS NULL;
  IF v_premium_ids IS NOT NULL THEN
    PERFORM emailai_migration.reset_seats(v_premium_ids);
  END IF;
  RETURN NEXT;
END $$;

-- Pass 3: organizations of the batch the migration created (personal, or team: rule 3)
-- that still hold only what it wrote (no inbox linked, no premium, no member but the
-- memberships it wrote) are
-- deleted with that membership and their registry row. With p_force, every
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
  PERFORM 1 FROM public."Organization" o WHERE o.id = ANY (v_ids) ORDER BY o.id FOR UPDATE;

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
          AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea."organizationId" = o.id)
          AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m
                          WHERE m."organizationId" = o.id AND m.id IS DISTINCT FROM c.membership_id
                            AND NOT EXISTS (SELECT 1 FROM emailai_migration.team_membership tm WHERE tm.membership_id = m.id))));
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
           EXISTS (SELECT 1 FROM public."OrganizationMember" m
                   WHERE m."organizationId" = o.id AND m.id IS DISTINCT FROM c.membership_id
                     AND NOT EXISTS (SELECT 1 FROM emailai_migration.team_membership tm WHERE tm.membership_id = m.id)) AS has_other_members,
           EXISTS (SELECT 1 FROM public."EmailAccount" ea
                   LEFT JOIN emailai_migration.linked_email_account l ON l.email_account_id = ea.id
                   WHERE ea."organizationId" = o.id
                     AND l.organization_id IS DISTINCT FROM ea."organizationId") AS has_app_inboxes,
           (o."premiumId" IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM emailai_migration.linked_premium l
              WHERE l.organization_id = o.id AND l.premium_id = o."premiumId")) AS has_app_premium
    FROM public."Organization" o
    LEFT JOIN emailai_migration.created_organization c ON c.organization_id = o.id
    LEFT JOIN emailai_migration.team_organization t ON t.organization_id = o.id
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
         count(*) FILTER (WHERE ours AND NOT (has_other_members OR has_app_inboxes OR has_app_premium)) FROM organizations
  UNION ALL
  SELECT 'organizations the migration created, since given members, inboxes or a premium by the new app',
         CASE WHEN p_level = 'orgs' AND p_force THEN 'delete' ELSE 'keep' END,
         count(*) FILTER (WHERE ours AND (has_other_members OR has_app_inboxes OR has_app_premium)) FROM organizations
  UNION ALL
  SELECT 'organizations the new app created', CASE WHEN p_level = 'orgs' AND p_force THEN 'delete' ELSE 'keep' END,
         count(*) FILTER (WHERE NOT ours) FROM organizations
$$;

-- `repair --user`: rules 1-3 for one user, created_by 'repair'. A user who owns no
-- organization gets back the OWNER membership of the personal organization the
-- migration made for them if it still exists (its id is deterministic, so a new one
-- could not be created beside it), else a new personal organization; their inboxes
-- with no organization, or in an organization they do not own, go to their home
-- organization; their premium is linked; the seats of every premium concerned are
-- recomputed. Idempotent.
CREATE OR REPLACE FUNCTION emailai_migration.repair_user(p_user_id text)
RETURNS TABLE (ownership_restored integer, organizations_created integer, inboxes_relinked integer, premiums_linked integer, seats_recomputed integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_home text;
  v_premium_ids text[];
  v_linked text[];
BEGIN
  -- The user's row locked: a concurrent trigger for the same user waits.
  PERFORM 1 FROM public."User" WHERE id = p_user_id FOR UPDATE;
  ownership_restored := 0;
  -- Registry rows of organizations deleted by hand record nothing any more.
  DELETE FROM emailai_migration.created_organization c
  WHERE c.user_id = p_user_id
    AND NOT EXISTS (SELECT 1 FROM public."Organization" o WHERE o.id = c.organization_id);
  IF NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m WHERE m."userId" = p_user_id AND m.role = 'OWNER') THEN
    WITH personal AS (
      SELECT c.organization_id, c.membership_id FROM emailai_migration.created_organization c
      JOIN public."Organization" o ON o.id = c.organization_id
      WHERE c.user_id = p_user_id
    ), promoted AS (
      UPDATE public."OrganizationMember" m SET role = 'OWNER'
      FROM personal p WHERE m."userId" = p_user_id AND m."organizationId" = p.organization_id
      RETURNING m.id
    ), inserted AS (
      INSERT INTO public."OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
      SELECT p.membership_id, now(), now(), 'OWNER', p_user_id, p.organization_id
      FROM personal p WHERE NOT EXISTS (SELECT 1 FROM promoted)
      ON CONFLICT DO NOTHING
      RETURNING id
    )
    SELECT (SELECT count(*) FROM promoted) + (SELECT count(*) FROM inserted) INTO ownership_restored;
  END IF;
  organizations_created := emailai_migration.create_personal_organizations(ARRAY[p_user_id], 'repair');
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
