-- 300_migration_rules.sql
-- What:     the data rules of the migration (SPEC "Data rules" 1-4 and 6), as functions in
--           the package's schema. One definition, used by the backfill's batches
--           (sql/310), by the window triggers (sql/320-325) and by `runner.ts repair`.
--             personal_organization_name/slug/id   rule 1, pure functions (the name
--                                                  cleaned and capped: see below)
--             personal_organization_owner(org)     the inverse of ..._id
--             home_organization_of(user)           rule 2: the organization an
--                                                  inbox of that user belongs in, as
--                                                  a one-row table for LATERAL joins
--             home_organization(user)              the same, as a scalar
--             create_personal_organizations(users) rule 1, set-based
--             link_email_accounts(after, last)     rule 2, set-based, a key range
--             team_organization_id/_premium, team_membership_id  rule 3,
--                                                  pure functions
--             premium_rule(premiums)               rule 3: THE organization of a premium
--                                                  (holders, owner, team or home); read
--                                                  by all below, plan and the report
--             premium_rule_rows(copy)              its rows again from a jsonb copy
--             sync_premium_organizations(premiums) rules 3 and 6, set-based: team
--                                                  organizations, their members, the
--                                                  one link, seats
--             link_premiums(users)                 the same, for the premiums of users
--             recompute_seats(premiums)            rule 3, usedSeats/maxSeats
--           Rule 4 (createdBy = the inbox's owner) is a one-line join, written where
--           it is used (sql/310 and the BEFORE INSERT triggers of sql/320 and 324-327).
-- Requires: 020 (registry), the tables and columns of steps 110-114 and 210-213,
--           311 (the index on "User"."premiumId" that premium_rule probes).
-- Locks:    none (CREATE OR REPLACE FUNCTION).
-- Re-run:   safe (CREATE OR REPLACE).
-- Undo:     rollback/300_migration_rules.sql
-- transaction: yes

-- Rule 1, name. SPEC: "the user's name, trimmed, control characters turned to spaces
-- and runs of white space folded, + 's Organization; when that name is empty, the
-- email's local part". Beyond SPEC's words, for names from hostile data (issue 19):
--   - the fallback, the email's local part, is cleaned the same way (a tab in it
--     becomes a space, leading and double spaces go);
--   - bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) and
--     zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are removed, from the
--     name and from the local part, before the rest: a name cannot reverse the text
--     shown after it, or look empty and not be (an emoji ZWJ sequence falls apart
--     into its emoji);
--   - the cap: the person part (the cleaned name, or local part) is cut to at most
--     100 characters, on a character boundary (left() counts characters, not
--     bytes), and trimmed again: an organization name is at most 115 characters
--     ("'s Organization" adds 15, "'s Team" 7), which a UI can show;
--   - when both the name and the local part clean to nothing (a blank name and an
--     address such as '@x.example'), the organization is named
--     'Personal Organization' (a team: 'Team Organization'), never "'s Organization".
-- clean_display_text is that cleaning and cap (NULL when nothing is left);
-- organization_base_name the person part; personal_organization_name and
-- team_organization_name the names. One definition: the backfill (sql/310), the
-- window triggers (sql/320) and repair (sql/330) all call these. No check recomputes
-- a name from them: the registry keeps the name as written (written_organization),
-- and rollback compares the row with that, whichever version of this rule made it.
CREATE OR REPLACE FUNCTION emailai_migration.clean_display_text(t text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(btrim(left(btrim(regexp_replace(regexp_replace(
           translate(coalesce(t, ''),
                     U&'\202A\202B\202C\202D\202E\2066\2067\2068\2069\200B\200C\200D\2060\FEFF', ''),
           '[[:cntrl:]]', ' ', 'g'), '\s+', ' ', 'g')), 100)), '')
$$;

CREATE OR REPLACE FUNCTION emailai_migration.organization_base_name(user_name text, email text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(emailai_migration.clean_display_text(user_name),
                  emailai_migration.clean_display_text(regexp_replace(email, '@[^@]*$', '')))
$$;

CREATE OR REPLACE FUNCTION emailai_migration.personal_organization_name(user_name text, email text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(emailai_migration.organization_base_name(user_name, email) || '''s Organization',
                  'Personal Organization')
$$;

CREATE OR REPLACE FUNCTION emailai_migration.team_organization_name(user_name text, email text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(emailai_migration.organization_base_name(user_name, email) || '''s Team',
                  'Team Organization')
$$;

-- Rule 1, slug: local part lower-cased, runs outside [a-z0-9] -> '-', cut to 40,
-- trimmed of '-', 'org' when empty, then '-' and suffix_length hex characters of
-- md5(user id). Deterministic: the same user always gets the same slug for a length.
CREATE OR REPLACE FUNCTION emailai_migration.personal_organization_slug(email text, user_id text, suffix_length integer)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(btrim(left(regexp_replace(lower(regexp_replace(email, '@[^@]*$', '')),
                                                   '[^a-z0-9]+', '-', 'g'), 40), '-'), ''), 'org')
         || '-' || substr(md5(user_id), 1, suffix_length)
$$;

-- Ids of what the migration creates are the user id behind a prefix. Deterministic:
-- a re-run after a crash, or a trigger racing a batch, computes the same rows, and
-- ON CONFLICT makes the second writer a no-op. In user-id order: a batch of users
-- inserts into neighbouring primary-key pages, not random ones. And the id of a
-- personal organization names its owner (create_personal_organizations reads it back).
CREATE OR REPLACE FUNCTION emailai_migration.personal_organization_id(user_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'mig_org_' || user_id
$$;

-- The inverse: the owner's user id of a personal organization's id.
CREATE OR REPLACE FUNCTION emailai_migration.personal_organization_owner(organization_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT substr(organization_id, length('mig_org_') + 1)
$$;

CREATE OR REPLACE FUNCTION emailai_migration.personal_membership_id(user_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'mig_mem_' || user_id
$$;

-- Rule 3: the team organization of a premium several users hold, and its memberships.
-- Deterministic like the personal ones: a trigger racing a batch computes the same
-- rows. The slug is rule 1's from the owner's email, its suffix taken from the team
-- organization's id (not the owner's), lengthened on a collision like rule 1's.
CREATE OR REPLACE FUNCTION emailai_migration.team_organization_id(premium_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'mig_team_' || premium_id
$$;

-- The inverse: the premium of a team organization's id.
CREATE OR REPLACE FUNCTION emailai_migration.team_organization_premium(organization_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT substr(organization_id, length('mig_team_') + 1)
$$;

CREATE OR REPLACE FUNCTION emailai_migration.team_membership_id(premium_id text, user_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'mig_tmem_' || md5(premium_id || '/' || user_id)
$$;

-- Rule 2: the organization a user's inboxes belong in: the earliest organization
-- the user OWNS (their personal one, or the earliest they already owned). Never
-- one they are only a member of: every member can open an organization's inboxes.
-- A table function on purpose: a one-statement STABLE SQL function returning a
-- table is inlined when joined LATERAL, so a batch plans it as index probes per
-- row; a scalar call runs the function's own plan once per row (the batches of
-- email_account_links spent half their time there).
-- Nearly every user owns exactly one organization, and then it is the home: the
-- membership probe answers alone. Only a user who owns several pays a second probe
-- per organization, into "Organization", to order them by "createdAt" (the inner
-- SELECT runs only then). No row when the user owns none.
-- A team organization (rule 3) is never the home while its owner owns another: its
-- members must not see the owner's inboxes. Ordered last, not by "createdAt": a
-- holder promoted to OWNER of a team (rule 6) may have signed up after it was made.
CREATE OR REPLACE FUNCTION emailai_migration.home_organization_of(p_user_id text)
RETURNS TABLE (organization_id text) LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN count(*) = 1 THEN min(m."organizationId")
              ELSE (SELECT owned."organizationId"
                    FROM public."OrganizationMember" owned
                    -- LATERAL with OFFSET 0: a primary-key probe per membership by
                    -- construction (as a join the planner may hash all of it).
                    CROSS JOIN LATERAL (SELECT x.id, x."createdAt" FROM public."Organization" x
                                        WHERE x.id = owned."organizationId" OFFSET 0) o
                    WHERE owned."userId" = p_user_id AND owned.role = 'OWNER'
                    ORDER BY (SELECT 1 FROM emailai_migration.team_organization t
                              WHERE t.organization_id = owned."organizationId") IS NOT NULL,
                             o."createdAt", o.id
                    LIMIT 1) END
  FROM public."OrganizationMember" m
  WHERE m."userId" = p_user_id AND m.role = 'OWNER'
  HAVING count(*) > 0
$$;

-- The same as a scalar, NULL when the user owns no organization: for the window
-- triggers and `runner.ts repair`, which handle one user at a time.
CREATE OR REPLACE FUNCTION emailai_migration.home_organization(p_user_id text)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT organization_id FROM emailai_migration.home_organization_of(p_user_id)
$$;

-- Rule 1, set-based: every user of p_user_ids who owns no organization gets one,
-- with an OWNER membership, recorded in the registry. A slug already taken (by any
-- organization, or by another user of the same call) lengthens that user's suffix
-- by two characters and tries again. Returns the number of organizations created.
-- EXECUTE, not a static statement: EXECUTE plans with this call's ids, where PL/pgSQL
-- would switch to a cached generic plan after five calls, one that guesses 10 ids
-- for "= ANY ($1)". (SET plan_cache_mode = force_custom_plan on the function would
-- do the same, but it also applies to the foreign-key checks that fire inside the
-- function and replans each of them for every row: 1.4x the time of this pass.)
-- "(SELECT … LIMIT 1) IS NULL" is NOT EXISTS written so that it stays one index
-- probe per user: as an anti-join the planner may hash the whole of
-- "OrganizationMember" or "Organization" for every batch, which grows with them.
CREATE OR REPLACE FUNCTION emailai_migration.create_personal_organizations(p_user_ids text[], p_origin text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_suffix_length integer := 6;
  v_created integer := 0;
  v_pending integer;
  v_step integer;
BEGIN
  LOOP
    EXECUTE $create$
    WITH pending AS (
      SELECT u.id AS user_id,
             emailai_migration.personal_organization_id(u.id) AS organization_id,
             emailai_migration.personal_organization_name(u.name, u.email) AS name,
             emailai_migration.personal_organization_slug(u.email, u.id, $3) AS slug
      FROM public."User" u
      WHERE u.id = ANY ($1)
        AND (SELECT 1 FROM public."OrganizationMember" m
             WHERE m."userId" = u.id AND m.role = 'OWNER' LIMIT 1) IS NULL
    ), free AS (
      SELECT DISTINCT ON (p.slug) p.*
      FROM pending p
      WHERE (SELECT 1 FROM public."Organization" o WHERE o.slug = p.slug LIMIT 1) IS NULL
      ORDER BY p.slug, p.user_id
    ), organizations AS (
      INSERT INTO public."Organization" (id, "createdAt", "updatedAt", name, slug)
      SELECT f.organization_id, now(), now(), f.name, f.slug FROM free f
      ON CONFLICT DO NOTHING
      RETURNING id
    ), members AS (
      -- The owner is read back from the inserted organization's id, not joined from
      -- "free": the planner's guesses for those two CTEs can be one row each, and a
      -- nested loop between them is quadratic in the batch.
      -- In user order: the foreign-key checks that follow then lock "User" rows in
      -- their physical order, and the membership indexes fill left to right.
      INSERT INTO public."OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
      SELECT emailai_migration.personal_membership_id(o.user_id), now(), now(), 'OWNER', o.user_id, o.id
      FROM (SELECT id, emailai_migration.personal_organization_owner(id) AS user_id FROM organizations) o
      ORDER BY o.user_id
      ON CONFLICT DO NOTHING
      RETURNING "userId", "organizationId", id
    ), recorded AS (
      INSERT INTO emailai_migration.created_organization (organization_id, user_id, membership_id, created_by)
      SELECT m."organizationId", m."userId", m.id, $2 FROM members m
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM pending), (SELECT count(*) FROM recorded)
    $create$
    INTO v_pending, v_step
    USING p_user_ids, p_origin, v_suffix_length;
    v_created := v_created + v_step;
    -- Everyone pending got one: done. Otherwise a slug was taken (or a racing
    -- writer got there first): try those users again, with a longer suffix.
    EXIT WHEN v_step = v_pending OR v_suffix_length >= 32;
    v_suffix_length := v_suffix_length + 2;
  END LOOP;
  RETURN v_created;
END $$;

-- Rule 2, set-based: each inbox with a key in (p_after, p_last] and no organization
-- is linked to its owner's home organization; existing links are left alone. A key
-- range, not a list: the backfill's batches are ranges of "EmailAccount".id, and a
-- range is one ordered index scan where id = ANY (ids) descends the index per id.
-- Returns the number of inboxes linked. ("organizationId" || '') IS NULL is
-- "organizationId" IS NULL written so that "EmailAccount_organizationId_idx" cannot
-- answer it: late in the backfill the planner would scan its whole NULL range per batch.)
-- The batch's inboxes are grouped by owner, so that a user with several inboxes in
-- the batch has the home looked up once, and the ids unnested again: no join
-- between the batch and the homes for the planner to get wrong (with its guess of a
-- few rows on each side, a nested loop there is quadratic in the batch).
-- target is MATERIALIZED so that the homes are looked up before the UPDATE, not
-- interleaved with it.
CREATE OR REPLACE FUNCTION emailai_migration.link_email_accounts(p_after text, p_last text)
RETURNS integer LANGUAGE sql AS $$
  WITH target AS MATERIALIZED (
    SELECT unnest(per_user.email_account_ids) AS id, h.organization_id
    FROM (SELECT ea."userId" AS user_id, array_agg(ea.id) AS email_account_ids
          FROM public."EmailAccount" ea
          WHERE ea.id > coalesce(p_after, '') AND ea.id <= p_last AND (ea."organizationId" || '') IS NULL
          GROUP BY ea."userId") per_user
    CROSS JOIN LATERAL emailai_migration.home_organization_of(per_user.user_id) h
  ), linked AS (
    UPDATE public."EmailAccount" ea
    SET "organizationId" = t.organization_id
    FROM target t
    WHERE ea.id = t.id AND (ea."organizationId" || '') IS NULL
    RETURNING ea.id, ea."organizationId"
  ), recorded AS (
    INSERT INTO emailai_migration.linked_email_account (email_account_id, organization_id)
    SELECT id, "organizationId" FROM linked
    ON CONFLICT (email_account_id) DO UPDATE
      SET organization_id = EXCLUDED.organization_id, linked_at = now()
    RETURNING 1
  )
  SELECT count(*)::integer FROM recorded
$$;

-- Rule 3, usedSeats and maxSeats of p_premium_ids: usedSeats = the members of the
-- organization linked to the premium (rule 3 links exactly one; should something
-- else have linked more, the distinct members of all of them, and the check
-- premiums_linked_to_several_organizations names it); maxSeats = emailAccountsAccess, never
-- below usedSeats, NULL (unlimited) when emailAccountsAccess is NULL. Premiums
-- linked to no organization are left alone. Writes only rows that change.
-- The premium rows are locked (in id order: no deadlock between two callers) before
-- the members are counted, in a statement of its own: a transaction that waited for
-- the lock then counts with a snapshot that sees the links the other one committed.
-- Counting in the UPDATE itself would use the snapshot taken before the wait, and two
-- sign-ups on one team plan would leave usedSeats one short.
-- plan_cache_mode keeps the id list's plans custom (see create_personal_organizations);
-- here it is harmless to the foreign-key checks because the UPDATE changes no key
-- column, so none of them runs.
CREATE OR REPLACE FUNCTION emailai_migration.recompute_seats(p_premium_ids text[])
RETURNS integer LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  v_changed integer;
BEGIN
  PERFORM 1 FROM public."Premium" WHERE id = ANY (p_premium_ids) ORDER BY id FOR NO KEY UPDATE;
  WITH seats AS (
    SELECT wanted.premium_id, count(DISTINCT m."userId")::integer AS used
    -- Key probes by construction, whatever the statistics: per premium its
    -- organizations through the package's "premiumId" index (sql/312), per
    -- organization its members through "organizationId". A LATERAL subquery with
    -- OFFSET 0 is not pulled up into a join, so the planner cannot hash it. As a
    -- join, a batch of 2,000 premiums hashed all of "Organization" with all of
    -- "OrganizationMember" under the premiums' locks (500 ms at 100,000 users,
    -- growing with the tables). No "premiumId IS NOT NULL" here: the statistics
    -- taken early in the backfill say every premiumId is NULL.
    FROM unnest(p_premium_ids) AS wanted(premium_id)
    CROSS JOIN LATERAL (SELECT o.id FROM public."Organization" o
                        WHERE o."premiumId" = wanted.premium_id OFFSET 0) o
    CROSS JOIN LATERAL (SELECT x."userId" FROM public."OrganizationMember" x
                        WHERE x."organizationId" = o.id OFFSET 0) m
    GROUP BY wanted.premium_id
  )
  UPDATE public."Premium" p
  SET "usedSeats" = s.used,
      "maxSeats" = CASE WHEN p."emailAccountsAccess" IS NULL THEN NULL
                        ELSE greatest(p."emailAccountsAccess", s.used) END
  FROM seats s
  WHERE p.id = ANY (p_premium_ids) AND p.id = s.premium_id
    AND (p."usedSeats" IS DISTINCT FROM s.used
         OR p."maxSeats" IS DISTINCT FROM CASE WHEN p."emailAccountsAccess" IS NULL THEN NULL
                                               ELSE greatest(p."emailAccountsAccess", s.used) END);
  GET DIAGNOSTICS v_changed = ROW_COUNT;
  RETURN v_changed;
END $$;

-- Rule 3, THE organization of a premium: one row per premium of p_premium_ids that at
-- least one user holds ("User"."premiumId"; a premium nobody holds has no row and is
-- left unlinked). holder_ids are its holders in owner order: the holders who are also
-- its admin ("premiumAdminId"), earliest first, then the others, earliest first; the
-- first is the owner. One holder: the organization is that holder's home (rule 2; NULL
-- while they own none). Several: the premium's team organization. Every caller reads
-- this one definition: the backfill, the window triggers, repair, plan, the report.
-- "User"."premiumId" is probed through the package's index (sql/311), per premium.
-- p_leaving: users another transaction is deleting (sync_premium_organizations step
-- 0), counted as gone already; their deletion's own trigger runs the rule again.
DROP FUNCTION IF EXISTS emailai_migration.premium_rule(text[]);
CREATE OR REPLACE FUNCTION emailai_migration.premium_rule(p_premium_ids text[], p_leaving text[] DEFAULT '{}')
RETURNS TABLE (premium_id text, holders integer, owner_user_id text, owner_is_admin boolean,
               holder_ids text[], team boolean, organization_id text)
LANGUAGE sql STABLE AS $$
  SELECT h.premium_id, h.holders, h.holder_ids[1], h.owner_is_admin, h.holder_ids, h.holders > 1,
         CASE WHEN h.holders > 1 THEN emailai_migration.team_organization_id(h.premium_id)
              ELSE (SELECT home.organization_id FROM emailai_migration.home_organization_of(h.holder_ids[1]) home) END
  FROM (SELECT u."premiumId" AS premium_id, count(*)::integer AS holders,
               array_agg(u.id ORDER BY (u."premiumAdminId" IS NOT DISTINCT FROM u."premiumId") DESC,
                                       u."createdAt", u.id) AS holder_ids,
               bool_or(u."premiumAdminId" IS NOT DISTINCT FROM u."premiumId") AS owner_is_admin
        FROM public."User" u
        WHERE u."premiumId" = ANY (p_premium_ids)
          AND u.id <> ALL (coalesce(p_leaving, '{}'))
        GROUP BY u."premiumId") h
$$;

-- The rows of premium_rule, from a copy of them in a jsonb: sync_premium_organizations
-- reads the rule once per call, then only its copy (it used to evaluate it in six
-- statements: 2.3x the reference's premium pass at 100k users).
CREATE OR REPLACE FUNCTION emailai_migration.premium_rule_rows(p_rule jsonb)
RETURNS TABLE (premium_id text, holders integer, owner_user_id text, owner_is_admin boolean,
               holder_ids text[], team boolean, organization_id text)
LANGUAGE sql IMMUTABLE AS $$
  SELECT * FROM jsonb_to_recordset(p_rule)
    AS r(premium_id text, holders integer, owner_user_id text, owner_is_admin boolean,
         holder_ids text[], team boolean, organization_id text)
$$;

-- Rules 3 and 6, set-based, for the premiums p_premium_ids (NULLs ignored): afterwards
-- each one that is not the new app's is linked to exactly the organization of
-- premium_rule, its team organization exists with exactly its holders (the migration's
-- memberships) when it has several, and its seats are recomputed. Returns the
-- premiums newly linked. Run by the backfill (pass premium_links), by every window
-- trigger that changes a premium's holders, and by repair. Idempotent.
--   0. The premium rows are locked, in id order (two callers never deadlock on them,
--      and the second one counts the holders with what the first committed). Then
--      the holders' "User" rows, FOR KEY SHARE: from here none can be deleted under
--      this call. A holder whose row is locked already FOR UPDATE is being deleted
--      (the old app's account deletion locks the row, then its trigger asks for
--      this premium): skipped, not waited for, which would deadlock. That holder is
--      "leaving": counted as gone, and no row of theirs is touched (their
--      memberships, which the deletion's cascade holds, included); the deletion's
--      own trigger calls this again once it holds the premium lock.
--      With p_find_app_links (the backfill and repair; a trigger reads the record
--      instead) a premium some organization links without the registry knowing is
--      recorded in app_linked_premium; those are left alone.
--   1. Every holder owns an organization first (their personal one, rule 1): it is
--      their home and their default organization, never the team.
--   2. A premium with several holders gets its team organization (name: the owner's
--      rule-1 name + "'s Team"; slug: rule 1's, a taken one lengthens the suffix).
--   3. Team memberships: a holder without one becomes MEMBER; a migration membership
--      of someone who no longer holds the premium (left it, or was deleted) goes; a
--      team without an OWNER gets the first holder in owner order (rule 6: the next
--      holder). A membership is written with "createdAt" 1 ms after the user's latest
--      membership: the app's default organization (earliest membership, no
--      tie-breaker) stays the personal one. Leaving holders (0.) are left alone.
--   4. A team organization its premium no longer needs (one holder or none) is
--      deleted with the memberships the migration wrote, when nothing else is in it
--      (no inbox, no member the new app added, no membership of a leaving holder).
--   5. The links: the migration's links to any other organization go, then the
--      organization of the rule gets the premium when it has none.
--   6. recompute_seats: usedSeats = the members of that one organization.
-- Every read of "User", "Organization" and "OrganizationMember" here is a key probe
-- by construction (= ANY of an array, LATERAL ... OFFSET 0, a scalar LIMIT 1), not a
-- join the planner may hash: mid-backfill its statistics are stale, and a hash is a
-- whole table per batch, or per app plan change. test/backfill_plans.test.ts runs a
-- batch with nested loops turned off to prove it.
CREATE OR REPLACE FUNCTION emailai_migration.sync_premium_organizations(p_premium_ids text[], p_origin text, p_find_app_links boolean)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[];
  v_holders text[];
  v_linked text[];
  v_doomed text[];
  v_leaving text[];
  v_rule jsonb;
  v_suffix_length integer := 6;
  v_pending integer;
  v_step integer;
BEGIN
  SELECT array_agg(DISTINCT x ORDER BY x) INTO v_ids FROM unnest(p_premium_ids) x WHERE x IS NOT NULL;
  IF v_ids IS NULL THEN
    RETURN '{}';
  END IF;
  -- 0.
  PERFORM 1 FROM public."Premium" p WHERE p.id = ANY (v_ids) ORDER BY p.id FOR NO KEY UPDATE;
  WITH held AS (
    SELECT u.id FROM public."User" u WHERE u."premiumId" = ANY (v_ids)
    ORDER BY u.id FOR KEY SHARE SKIP LOCKED
  )
  SELECT array_agg(u.id) INTO v_leaving
  FROM public."User" u
  WHERE u."premiumId" = ANY (v_ids) AND u.id NOT IN (SELECT id FROM held);
  v_leaving := coalesce(v_leaving, '{}');
  IF p_find_app_links THEN
    -- The registry is probed per organization, on its key: written as NOT EXISTS, the
    -- planner (whose statistics, taken early, say no organization has a premium)
    -- scanned all of linked_premium per organization, which grows with every batch.
    -- And "Organization" is probed per premium: a LATERAL subquery with OFFSET 0 is
    -- not pulled up, so it is a nested loop over the premiums by construction. As a
    -- join the planner merge-joined the premiums with a walk of the whole
    -- "premiumId" index (150 ms a batch at 100,000 users, growing with the table).
    INSERT INTO emailai_migration.app_linked_premium (premium_id)
    SELECT DISTINCT o."premiumId"
    FROM unnest(v_ids) AS wanted(premium_id)
    CROSS JOIN LATERAL (SELECT x.id, x."premiumId" FROM public."Organization" x
                        WHERE x."premiumId" = wanted.premium_id OFFSET 0) o
    WHERE (SELECT l.premium_id FROM emailai_migration.linked_premium l
           WHERE l.organization_id = o.id) IS DISTINCT FROM o."premiumId"
    ON CONFLICT DO NOTHING;
  END IF;
  SELECT array_agg(x ORDER BY x) INTO v_ids FROM unnest(v_ids) x
  WHERE NOT EXISTS (SELECT 1 FROM emailai_migration.app_linked_premium a WHERE a.premium_id = x);
  IF v_ids IS NULL THEN
    RETURN '{}';
  END IF;

  -- 1.
  SELECT array_agg(u.id ORDER BY u.id) INTO v_holders FROM public."User" u
  WHERE u."premiumId" = ANY (v_ids) AND u.id <> ALL (v_leaving);
  IF v_holders IS NOT NULL THEN
    PERFORM emailai_migration.create_personal_organizations(v_holders, p_origin);
  END IF;
  -- The rule, once: from here the holders are locked (0.) and each has a home (1.),
  -- and a team organization's id is fixed, so no step below changes what it says.
  SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]') INTO v_rule FROM emailai_migration.premium_rule(v_ids, v_leaving) r;

  -- 2.
  LOOP
    WITH wanted AS (
      SELECT r.premium_id, r.organization_id, u.name, u.email
      FROM emailai_migration.premium_rule_rows(v_rule) r
      CROSS JOIN LATERAL (SELECT x.name, x.email FROM public."User" x WHERE x.id = r.owner_user_id OFFSET 0) u
      WHERE r.team
        AND (SELECT 1 FROM public."Organization" o WHERE o.id = r.organization_id) IS NULL
    ), free AS (
      SELECT DISTINCT ON (s.slug) s.*
      FROM (SELECT w.*, emailai_migration.personal_organization_slug(w.email, w.organization_id, v_suffix_length) AS slug
            FROM wanted w) s
      WHERE (SELECT 1 FROM public."Organization" o WHERE o.slug = s.slug LIMIT 1) IS NULL
      ORDER BY s.slug, s.premium_id
    ), created AS (
      INSERT INTO public."Organization" (id, "createdAt", "updatedAt", name, slug)
      SELECT f.organization_id, now(), now(), emailai_migration.team_organization_name(f.name, f.email), f.slug
      FROM free f
      ON CONFLICT DO NOTHING
      RETURNING id, name, slug
    ), recorded AS (
      -- The premium is read back from the organization's id, not joined from "free":
      -- both CTEs are guessed at one row, and the nested loop between them was
      -- quadratic in the batch (825,000 comparisons, 170 ms for 909 teams).
      INSERT INTO emailai_migration.team_organization (organization_id, premium_id, created_by, name, slug)
      SELECT c.id, emailai_migration.team_organization_premium(c.id), p_origin, c.name, c.slug FROM created c
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM recorded) INTO v_pending, v_step;
    EXIT WHEN v_step = v_pending OR v_suffix_length >= 32;
    v_suffix_length := v_suffix_length + 2;
  END LOOP;

  -- 3. Leavers first (the user row gone, or holding another premium or none).
  WITH gone AS (
    SELECT tm.membership_id
    FROM emailai_migration.team_organization t
    JOIN emailai_migration.team_membership tm ON tm.organization_id = t.organization_id
    WHERE t.premium_id = ANY (v_ids)
      AND tm.user_id <> ALL (v_leaving)
      AND (SELECT 1 FROM public."User" u WHERE u.id = tm.user_id AND u."premiumId" = t.premium_id) IS NULL
  ), deleted AS (
    DELETE FROM public."OrganizationMember" m WHERE m.id = ANY (ARRAY(SELECT g.membership_id FROM gone g))
    RETURNING m.id
  )
  DELETE FROM emailai_migration.team_membership tm USING gone g WHERE tm.membership_id = g.membership_id;

  -- "(SELECT … LIMIT 1) IS NULL", not NOT EXISTS: one probe of the membership key
  -- per holder. As an anti-join the planner, which guesses 100 rule rows for the
  -- jsonb (so 1,000 holders) whatever the call, hashed the whole of
  -- "OrganizationMember" inside the app's transaction from ~50k users on down
  -- (test/trigger_plans.test.ts at EMAILAI_PLANS_USERS=50000).
  WITH wanted AS (
    SELECT r.premium_id, r.organization_id, h.user_id
    FROM emailai_migration.premium_rule_rows(v_rule) r
    CROSS JOIN LATERAL unnest(r.holder_ids) AS h(user_id)
    WHERE r.team
      AND EXISTS (SELECT 1 FROM emailai_migration.team_organization t WHERE t.organization_id = r.organization_id)
      AND (SELECT 1 FROM public."OrganizationMember" m
           WHERE m."userId" = h.user_id AND m."organizationId" = r.organization_id LIMIT 1) IS NULL
  ), inserted AS (
    INSERT INTO public."OrganizationMember" (id, "createdAt", "updatedAt", role, "userId", "organizationId")
    SELECT emailai_migration.team_membership_id(w.premium_id, w.user_id),
           greatest(now()::timestamp(3),
                    (SELECT max(m."createdAt") FROM public."OrganizationMember" m WHERE m."userId" = w.user_id)
                      + interval '1 millisecond'),
           now(), 'MEMBER', w.user_id, w.organization_id
    FROM wanted w
    ORDER BY w.user_id
    ON CONFLICT DO NOTHING
    RETURNING id, "organizationId", "userId"
  )
  INSERT INTO emailai_migration.team_membership (membership_id, organization_id, user_id)
  SELECT id, "organizationId", "userId" FROM inserted
  ON CONFLICT DO NOTHING;

  -- The memberships to promote, by id (= ANY of an array: a primary-key probe each).
  -- Not a join of "OrganizationMember" with the rule's rows: planned from the
  -- statistics of a table the backfill is filling, that join hashed all of it
  -- (600 ms inside an app's sign-up at 300,000 users, half-way through the
  -- personal organizations). A LATERAL or scalar subquery with LIMIT 1 is a key probe
  -- per row, whatever the estimates: the planner cannot hash it.
  UPDATE public."OrganizationMember" m SET role = 'OWNER', "updatedAt" = now()
  WHERE m.id = ANY (ARRAY(
    SELECT (SELECT hm.id
            FROM unnest(r.holder_ids) WITH ORDINALITY AS h(user_id, n)
            CROSS JOIN LATERAL (SELECT x.id FROM public."OrganizationMember" x
                                WHERE x."userId" = h.user_id AND x."organizationId" = r.organization_id
                                LIMIT 1) hm
            ORDER BY h.n LIMIT 1)
    FROM emailai_migration.premium_rule_rows(v_rule) r
    WHERE r.team
      AND (SELECT 1 FROM emailai_migration.team_organization t
           WHERE t.organization_id = r.organization_id LIMIT 1) IS NOT NULL
      AND (SELECT 1 FROM public."OrganizationMember" o
           WHERE o."organizationId" = r.organization_id AND o.role = 'OWNER' LIMIT 1) IS NULL));

  -- 4. Locked first: from here no inbox or member can be attached to them.
  SELECT array_agg(t.organization_id ORDER BY t.organization_id) INTO v_doomed
  FROM emailai_migration.team_organization t
  WHERE t.premium_id = ANY (v_ids)
    AND NOT EXISTS (SELECT 1 FROM emailai_migration.premium_rule_rows(v_rule) r WHERE r.premium_id = t.premium_id AND r.team);
  IF v_doomed IS NOT NULL THEN
    PERFORM 1 FROM public."Organization" o WHERE o.id = ANY (v_doomed) ORDER BY o.id FOR UPDATE;
    SELECT array_agg(o.id) INTO v_doomed
    FROM public."Organization" o
    WHERE o.id = ANY (v_doomed)
      AND NOT EXISTS (SELECT 1 FROM public."EmailAccount" ea WHERE ea."organizationId" = o.id)
      AND NOT EXISTS (SELECT 1 FROM public."OrganizationMember" m
                      WHERE m."organizationId" = o.id
                        AND (m."userId" = ANY (v_leaving)
                             OR NOT EXISTS (SELECT 1 FROM emailai_migration.team_membership tm WHERE tm.membership_id = m.id)));
  END IF;
  IF v_doomed IS NOT NULL THEN
    DELETE FROM public."OrganizationMember" m WHERE m."organizationId" = ANY (v_doomed);
    DELETE FROM public."Organization" o WHERE o.id = ANY (v_doomed);
    DELETE FROM emailai_migration.team_membership tm WHERE tm.organization_id = ANY (v_doomed);
    DELETE FROM emailai_migration.team_organization t WHERE t.organization_id = ANY (v_doomed);
    DELETE FROM emailai_migration.linked_premium l WHERE l.organization_id = ANY (v_doomed);
  END IF;

  -- 5.
  WITH target AS (
    SELECT wanted.premium_id, r.organization_id
    FROM unnest(v_ids) AS wanted(premium_id)
    LEFT JOIN emailai_migration.premium_rule_rows(v_rule) r ON r.premium_id = wanted.premium_id
  ), stale AS (
    SELECT l.organization_id, l.premium_id
    FROM emailai_migration.linked_premium l
    JOIN target t ON t.premium_id = l.premium_id
    WHERE l.organization_id IS DISTINCT FROM t.organization_id
  ), unlinked AS (
    UPDATE public."Organization" o SET "premiumId" = NULL
    FROM stale s
    WHERE o.id = ANY (ARRAY(SELECT x.organization_id FROM stale x))
      AND o.id = s.organization_id AND o."premiumId" = s.premium_id
    RETURNING o.id
  )
  DELETE FROM emailai_migration.linked_premium l USING stale s WHERE l.organization_id = s.organization_id;

  -- The organizations to link by id (= ANY of an array: primary-key probes), and
  -- ("premiumId" || '') IS NULL, which no index answers: on the statistics taken
  -- early in the backfill (every "premiumId" NULL but a few) the planner read all
  -- the unlinked organizations through the "premiumId" index and hashed them with
  -- the rule's rows, in every batch and in the app's plan changes (100,000 rows at
  -- 100,000 users).
  WITH linked AS (
    UPDATE public."Organization" o SET "premiumId" = r.premium_id
    FROM emailai_migration.premium_rule_rows(v_rule) r
    WHERE o.id = ANY (ARRAY(SELECT x.organization_id FROM emailai_migration.premium_rule_rows(v_rule) x))
      AND o.id = r.organization_id AND (o."premiumId" || '') IS NULL
    RETURNING o.id, o."premiumId"
  ), recorded AS (
    INSERT INTO emailai_migration.linked_premium (organization_id, premium_id)
    SELECT id, "premiumId" FROM linked
    ON CONFLICT (organization_id) DO UPDATE
      SET premium_id = EXCLUDED.premium_id, linked_at = now()
    RETURNING premium_id
  )
  SELECT coalesce(array_agg(DISTINCT premium_id), '{}') INTO v_linked FROM recorded;

  -- 6.
  PERFORM emailai_migration.recompute_seats(v_ids);
  RETURN v_linked;
END $$;

-- Rule 3 for the premiums the users p_user_ids hold (repair --user): see
-- sync_premium_organizations. Returns the premiums newly linked.
CREATE OR REPLACE FUNCTION emailai_migration.link_premiums(p_user_ids text[])
RETURNS text[] LANGUAGE sql AS $$
  SELECT emailai_migration.sync_premium_organizations(
           ARRAY(SELECT DISTINCT u."premiumId" FROM public."User" u
                 WHERE u.id = ANY (p_user_ids) AND u."premiumId" IS NOT NULL),
           'repair', true)
$$;
