// An old-app workload: what EmailAI (Prisma, before the migration) writes and reads
// while the migration runs. It never writes "organizationId", "createdBy" or
// "isShared": the old app does not know them, so whatever the migration needs on
// these rows must come from the window triggers or the backfill.
//
//   const wl = await startWorkload(url, { connections: 4 });
//   wl.setPhase('schema'); … wl.setPhase('backfill'); …
//   const stats = await wl.stop();   // per phase: ops, p50/p99/max ms, errors
//
// Each connection loops over short transactions until stop() or the deadline.
// Errors are counted with their messages, never thrown. Memory is flat: latencies
// go into a log-scale histogram, ids into bounded pools.
import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';

export type OpName = 'signup' | 'login' | 'create_rule' | 'toggle_rule' | 'inbox_settings' | 'change_premium' | 'read_inboxes'
  | 'delete_user' | 'transfer_inbox' | 'buy_plan' | 'join_plan' | 'leave_plan';

/** Relative frequency of each op (a mostly-reading, sometimes-writing app). */
const OP_WEIGHTS: [OpName, number][] = [
  ['read_inboxes', 30], ['login', 20], ['inbox_settings', 10], ['toggle_rule', 10],
  ['create_rule', 10], ['signup', 12], ['change_premium', 8],
];

/**
 * With `extraOps`: account deletions, inbox ownership transfers, and team plans that
 * come and go (a user buys a plan: one holder; a colleague joins it: a team; leaves
 * again: one holder), the traffic rules 3 and 6 must follow during the window.
 */
const EXTRA_OP_WEIGHTS: [OpName, number][] = [
  ['delete_user', 3], ['transfer_inbox', 3], ['buy_plan', 2], ['join_plan', 3], ['leave_plan', 2],
];

export interface WorkloadOptions {
  connections?: number;
  /** Pause between two ops of one connection (an app has think time), ms. */
  pauseMs?: number;
  /** Every this many ms, one extra connection holds a read transaction open; 0: never. */
  longReadEveryMs?: number;
  /** How long that read transaction stays open, ms. */
  longReadMs?: number;
  /** The workload stops itself after this many ms, whatever the caller does. */
  deadlineMs?: number;
  /** Bounds any single op (a lock wait included), so stop() always returns. */
  statementTimeoutMs?: number;
  /** The first phase label. */
  phase?: string;
  /** Also delete users, transfer inboxes, and turn single plans into teams and back. */
  extraOps?: boolean;
}

export interface PhaseStats {
  phase: string;
  ops: number;
  byOp: Partial<Record<OpName, number>>;
  /** The slowest op of each kind, ms: which op a stall hit. */
  maxByOp: Partial<Record<OpName, number>>;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /**
   * Ops that lost a race with a user the workload itself deleted (a foreign-key
   * violation on a row that is gone): what the app would see with or without the
   * migration, so not an error of the migration's.
   */
  raced: number;
  /** Distinct error messages with their counts (at most 20 kept). */
  errorMessages: Record<string, number>;
  longReads: number;
  seconds: number;
}

export interface Workload {
  setPhase(label: string): void;
  /** Stops every connection after its current op; resolves with the stats in phase order. */
  stop(): Promise<PhaseStats[]>;
  /** Resolves when the workload has stopped (stop() or the deadline). */
  done: Promise<PhaseStats[]>;
  /**
   * Resolves once the current phase has `ops` committed ops, and of each op in `each` at
   * least one (a state, not a time): the app is at work, doing what the test needs.
   */
  busy(ops?: number, each?: OpName[]): Promise<void>;
}

/** Latencies in buckets growing by 2 %: percentiles within 2 %, constant memory. */
class Histogram {
  private static readonly base = Math.log(1.02);
  private counts = new Map<number, number>();
  count = 0;
  max = 0;
  add(ms: number): void {
    const bucket = Math.max(0, Math.ceil(Math.log(Math.max(ms, 0.01) * 100) / Histogram.base));
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  percentile(p: number): number {
    if (!this.count) return 0;
    const rank = Math.ceil(this.count * p);
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return Math.min(this.max, Math.exp(bucket * Histogram.base) / 100);
    }
    return this.max;
  }
}

class Phase {
  latency = new Histogram();
  byOp: Partial<Record<OpName, number>> = {};
  maxByOp: Partial<Record<OpName, number>> = {};
  errors = 0;
  raced = 0;
  errorMessages: Record<string, number> = {};
  longReads = 0;
  started = performance.now();
  ended: number | undefined;
  constructor(public label: string) {}
  record(op: OpName, ms: number): void {
    this.latency.add(ms);
    if (ms > (this.maxByOp[op] ?? 0)) this.maxByOp[op] = Math.round(ms * 10) / 10;
  }
  error(message: string): void {
    this.errors++;
    if (message in this.errorMessages || Object.keys(this.errorMessages).length < 20) {
      this.errorMessages[message] = (this.errorMessages[message] ?? 0) + 1;
    }
  }
  stats(): PhaseStats {
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      phase: this.label,
      ops: this.latency.count,
      byOp: this.byOp,
      maxByOp: this.maxByOp,
      p50: round(this.latency.percentile(0.5)),
      p99: round(this.latency.percentile(0.99)),
      max: round(this.latency.max),
      errors: this.errors,
      raced: this.raced,
      errorMessages: this.errorMessages,
      longReads: this.longReads,
      seconds: round(((this.ended ?? performance.now()) - this.started) / 1000),
    };
  }
}

/** A bounded pool of ids: the newest replace random old ones once full. */
class IdPool<T> {
  private items: T[] = [];
  constructor(private capacity = 2000) {}
  add(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[Math.floor(Math.random() * this.capacity)] = item;
  }
  pick(): T | undefined {
    return this.items.length ? this.items[Math.floor(Math.random() * this.items.length)] : undefined;
  }
  get size(): number {
    return this.items.length;
  }
}

/**
 * A foreign-key violation on one of the old app's own keys (a row another connection of
 * the workload deleted): a race of the app with itself. One on a key the migration
 * added ("Organization*", "organizationId", "createdBy") stays an error: that would be
 * the migration's triggers writing a reference to a row that is gone.
 */
function lostRaceWithDeletion(err: unknown): boolean {
  const e = err as { code?: string; constraint_name?: string };
  if (e.code !== '23503') return false;
  return !/^Organization|_organizationId_fkey$|_createdBy_fkey$/.test(e.constraint_name ?? '');
}

const newId = (prefix: string) => `wl_${prefix}_${randomBytes(9).toString('hex')}`;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function pickOp(extra: boolean): OpName {
  const weights = extra ? [...OP_WEIGHTS, ...EXTRA_OP_WEIGHTS] : OP_WEIGHTS;
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let r = Math.random() * total;
  for (const [op, w] of weights) if ((r -= w) < 0) return op;
  return 'read_inboxes';
}

interface Pools {
  users: IdPool<string>;
  inboxes: IdPool<string>;
  rules: IdPool<string>;
  premiums: IdPool<string>;
  /** Plans the workload bought (one holder each at first). */
  plans: IdPool<string>;
  /** Users who joined one of those plans. */
  joined: IdPool<string>;
}

/** One op, the way the old app's Prisma client would send it. */
async function runOp(sql: Sql, op: OpName, pools: Pools): Promise<void> {
  switch (op) {
    case 'signup': {
      // prisma.user.create({ data: { …, accounts: { create }, emailAccounts: { create } } })
      const userId = newId('user'), accountId = newId('acc'), inboxId = newId('ea');
      const email = `${userId}@workload.test`;
      const premiumId = Math.random() < 0.3 ? pools.premiums.pick() ?? null : null;
      await sql.begin(async tx => {
        await tx`insert into "User" (id, "updatedAt", name, email, "premiumId") values (${userId}, now(), ${'Workload ' + userId.slice(-6)}, ${email}, ${premiumId})`;
        await tx`insert into "Account" (id, "updatedAt", "userId", type, provider, "providerAccountId") values (${accountId}, now(), ${userId}, 'oauth', 'google', ${accountId})`;
        await tx`insert into "EmailAccount" (id, "updatedAt", email, "userId", "accountId") values (${inboxId}, now(), ${email}, ${userId}, ${accountId})`;
      });
      pools.users.add(userId);
      pools.inboxes.add(inboxId);
      return;
    }
    case 'login': {
      const userId = pools.users.pick();
      if (userId) await sql`update "User" set "lastLogin" = now(), "updatedAt" = now() where id = ${userId}`;
      return;
    }
    case 'create_rule': {
      const inboxId = pools.inboxes.pick();
      if (!inboxId) return;
      const ruleId = newId('rule');
      await sql`insert into "Rule" (id, "updatedAt", name, "emailAccountId", instructions) values (${ruleId}, now(), ${'Workload rule ' + ruleId.slice(-8)}, ${inboxId}, 'archive newsletters')`;
      pools.rules.add(ruleId);
      return;
    }
    case 'toggle_rule': {
      const ruleId = pools.rules.pick();
      if (ruleId) await sql`update "Rule" set enabled = not enabled, "updatedAt" = now() where id = ${ruleId}`;
      return;
    }
    case 'inbox_settings': {
      const inboxId = pools.inboxes.pick();
      if (!inboxId) return;
      const frequency = Math.random() < 0.5 ? 'NEVER' : 'WEEKLY';
      await sql`update "EmailAccount" set "statsEmailFrequency" = ${frequency}::"Frequency", "autoCategorizeSenders" = ${Math.random() < 0.5}, "updatedAt" = now() where id = ${inboxId}`;
      return;
    }
    case 'change_premium': {
      // A user joins another team plan, or leaves theirs.
      const userId = pools.users.pick();
      if (!userId) return;
      const premiumId = Math.random() < 0.25 ? null : pools.premiums.pick() ?? null;
      await sql`update "User" set "premiumId" = ${premiumId}, "updatedAt" = now() where id = ${userId}`;
      return;
    }
    case 'delete_user': {
      // The old app's account deletion: knowledge first ("Knowledge" is ON DELETE
      // RESTRICT from "EmailAccount"), then the user; everything else cascades.
      const userId = pools.users.pick();
      if (!userId) return;
      await sql.begin(async tx => {
        await tx`delete from "Knowledge" where "emailAccountId" in (select id from "EmailAccount" where "userId" = ${userId})`;
        await tx`delete from "User" where id = ${userId}`;
      });
      return;
    }
    case 'transfer_inbox': {
      const inboxId = pools.inboxes.pick(), userId = pools.users.pick();
      if (!inboxId || !userId) return;
      // The inbox and its OAuth account move together (the inbox cascades with its account).
      await sql.begin(async tx => {
        await tx`update "Account" set "userId" = ${userId}, "updatedAt" = now() where id = (select "accountId" from "EmailAccount" where id = ${inboxId})`;
        await tx`update "EmailAccount" set "userId" = ${userId}, "updatedAt" = now() where id = ${inboxId}`;
      });
      return;
    }
    case 'buy_plan': {
      const userId = pools.users.pick();
      if (!userId) return;
      const premiumId = newId('premium');
      await sql.begin(async tx => {
        await tx`insert into "Premium" (id, "updatedAt", tier, "emailAccountsAccess") values (${premiumId}, now(), 'BUSINESS_MONTHLY', 3)`;
        await tx`update "User" set "premiumId" = ${premiumId}, "premiumAdminId" = ${premiumId}, "updatedAt" = now() where id = ${userId}`;
      });
      pools.plans.add(premiumId);
      return;
    }
    case 'join_plan': {
      const premiumId = pools.plans.pick(), userId = pools.users.pick();
      if (!premiumId || !userId) return;
      await sql`update "User" set "premiumId" = ${premiumId}, "updatedAt" = now() where id = ${userId}`;
      pools.joined.add(userId);
      return;
    }
    case 'leave_plan': {
      const userId = pools.joined.pick();
      if (userId) await sql`update "User" set "premiumId" = null, "updatedAt" = now() where id = ${userId}`;
      return;
    }
    case 'read_inboxes': {
      // The inbox page: prisma.emailAccount.findUnique({ where: { id }, include: { rules: true } }),
      // two queries on indexed paths. (By "userId" it would be a sequential scan: the
      // old schema has no index on "EmailAccount"."userId", so every read would take
      // hundreds of ms with or without a migration, and hide what the migration does.)
      const inboxId = pools.inboxes.pick();
      if (!inboxId) return;
      await sql`select id, email, name, "statsEmailFrequency", "autoCategorizeSenders" from "EmailAccount" where id = ${inboxId}`;
      await sql`select id, name, enabled from "Rule" where "emailAccountId" = ${inboxId}`;
      return;
    }
  }
}

/** A sample of existing ids to act on (the app's active users), read once. */
async function samplePools(sql: Sql): Promise<Pools> {
  const pools: Pools = { users: new IdPool(), inboxes: new IdPool(), rules: new IdPool(), premiums: new IdPool(500),
                         plans: new IdPool(200), joined: new IdPool(200) };
  for (const r of await sql`select id from "User" order by random() limit 1000`) pools.users.add(r.id);
  for (const r of await sql`select id from "EmailAccount" order by random() limit 1000`) pools.inboxes.add(r.id);
  for (const r of await sql`select id from "Rule" order by random() limit 1000`) pools.rules.add(r.id);
  for (const r of await sql`select id from "Premium" order by random() limit 300`) pools.premiums.add(r.id);
  return pools;
}

export async function startWorkload(url: string, opts: WorkloadOptions = {}): Promise<Workload> {
  const connections = opts.connections ?? 4;
  const pauseMs = opts.pauseMs ?? 10;
  const deadlineMs = opts.deadlineMs ?? 15 * 60_000;
  const connect = (name: string) => postgres(url, {
    max: 1,
    onnotice: () => {},
    idle_timeout: 30,
    connection: { application_name: `emailai-old-app-${name}`, statement_timeout: opts.statementTimeoutMs ?? 120_000 },
  });
  const setup = connect('setup');
  const pools = await samplePools(setup).finally(() => setup.end({ timeout: 5 }));

  const phases: Phase[] = [new Phase(opts.phase ?? 'start')];
  const current = () => phases[phases.length - 1];
  let stopping = false;
  const deadline = setTimeout(() => { stopping = true; }, deadlineMs);
  deadline.unref();

  const worker = async (index: number) => {
    const sql = connect(`w${index}`);
    try {
      while (!stopping) {
        const op = pickOp(Boolean(opts.extraOps));
        const phase = current();
        const started = performance.now();
        try {
          await runOp(sql, op, pools);
          phase.record(op, performance.now() - started);
          phase.byOp[op] = (phase.byOp[op] ?? 0) + 1;
        } catch (err) {
          phase.record(op, performance.now() - started);
          if (opts.extraOps && lostRaceWithDeletion(err)) phase.raced++;
          else phase.error(`${op}: ${(err as Error).message}`);
        }
        if (pauseMs) await sleep(pauseMs);
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
  };

  // The long read: BEGIN; SELECT …; (the app works on the rows for a while) COMMIT.
  // It holds ACCESS SHARE on "EmailAccount" and "Rule" the whole time, which is what
  // queues a careless ALTER TABLE and everyone behind it. Not counted in latencies.
  const longReader = async () => {
    if (!opts.longReadEveryMs) return;
    const sql = connect('long-read');
    try {
      while (!stopping) {
        for (let waited = 0; waited < opts.longReadEveryMs && !stopping; waited += 100) await sleep(100);
        if (stopping) break;
        const phase = current();
        try {
          await sql.begin(async tx => {
            await tx`select count(*) from "EmailAccount" ea join "Rule" r on r."emailAccountId" = ea.id where ea."autoCategorizeSenders"`;
            await tx`select pg_sleep(${(opts.longReadMs ?? 3000) / 1000})`;
          });
          phase.longReads++;
        } catch (err) {
          phase.error(`long_read: ${(err as Error).message}`);
        }
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
  };

  const done = Promise.all([...Array.from({ length: connections }, (_, i) => worker(i)), longReader()]).then(() => {
    clearTimeout(deadline);
    current().ended = performance.now();
    return phases.map(p => p.stats());
  });

  return {
    setPhase(label: string) {
      if (current().label === label) return;
      current().ended = performance.now();
      phases.push(new Phase(label));
    },
    async stop() {
      stopping = true;
      return done;
    },
    done,
    async busy(ops = 20, each: OpName[] = []) {
      const phase = current();
      while ((phase.latency.count < ops || each.some(op => !phase.byOp[op])) && !stopping) await sleep(20);
    },
  };
}

/** The stats as a Markdown table (one row per phase). */
export function workloadTable(stats: PhaseStats[], title?: string): string {
  const lines = [
    `| ${title ? 'run | ' : ''}phase | seconds | app ops | p50 ms | p99 ms | max ms | errors |`,
    `|${title ? '---|' : ''}---|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const s of stats) {
    lines.push(`| ${title ? title + ' | ' : ''}${s.phase} | ${s.seconds} | ${s.ops} | ${s.p50} | ${s.p99} | ${s.max} | ${s.errors} |`);
  }
  return lines.join('\n');
}
