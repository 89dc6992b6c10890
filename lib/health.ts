// Whether the database is healthy enough for the backfill's next batch, and the
// pause while it is not (keysetLoop's `health`). One small read-only query
// (queries/backfill_health.sql) at most every SAMPLE_EVERY_MS, taken while a batch
// runs (its row locks held: that is when the app waits behind us) and answered by
// the time the batch has committed. Unhealthy: app sessions wait on our locks, a
// transaction older than --max-xact-age-s holds back vacuum, a replica lags more
// than --max-replication-lag-ms. What the role cannot see (pg_read_all_stats) is
// unknown: said once, never a reason to pause (as preflight treats it).
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { QUERIES_DIR } from './paths.ts';
import { sleep } from './lock-settings.ts';
import * as log from './log.ts';

export interface HealthLimits { maxXactAgeS: number; maxReplicationLagMs: number }

export interface HealthSample {
  app_sessions_waiting: number;
  oldest_transaction_seconds: number | null;
  hidden_sessions: number;
  sees_all: boolean;
  replicas: number;
  replay_lag_ms: string | number | null;
}

/** One sample at most this often (ms), whatever the batches' pace. */
export const SAMPLE_EVERY_MS = 1000;
/** The pause's first wait; it doubles up to PAUSE_MAX_MS between re-checks. */
export const PAUSE_FIRST_MS = 250;
export const PAUSE_MAX_MS = 4000;

/** The reasons to pause of a sample (empty: healthy), and what it could not see. */
export function judge(s: HealthSample, limits: HealthLimits): { reasons: string[]; unknown: string[] } {
  const reasons: string[] = [], unknown: string[] = [];
  if (s.app_sessions_waiting > 0) {
    reasons.push(`${s.app_sessions_waiting} app session${s.app_sessions_waiting === 1 ? '' : 's'} wait${s.app_sessions_waiting === 1 ? 's' : ''} on our locks`);
  }
  if (s.oldest_transaction_seconds !== null && s.oldest_transaction_seconds > limits.maxXactAgeS) {
    reasons.push(`a transaction open for ${s.oldest_transaction_seconds} s holds back vacuum (limit --max-xact-age-s ${limits.maxXactAgeS})`);
  } else if (s.hidden_sessions > 0) {
    unknown.push(`the transactions of ${s.hidden_sessions} session(s) of other roles`);
  }
  if (!s.sees_all) unknown.push('replication lag');
  else if (s.replicas > 0 && s.replay_lag_ms !== null && Number(s.replay_lag_ms) > limits.maxReplicationLagMs) {
    reasons.push(`replication lag ${log.duration(Number(s.replay_lag_ms))} (limit --max-replication-lag-ms ${limits.maxReplicationLagMs})`);
  }
  return { reasons, unknown };
}

/**
 * The health of the database as the batch loops see it; one per backfill, shared by
 * the jobs of a parallel pass (one sample serves them all). While a batch is in
 * flight it samples every SAMPLE_EVERY_MS, the first `delayMs` into the batch; none
 * while no batch runs, except the pause's re-checks.
 */
export class HealthWatch {
  private lastStarted = -Infinity;
  private pending: Promise<string[]> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;
  private reasons: string[] = [];
  /** App sessions seen waiting on our locks by a sample since the last check: a later sample, after the batch committed, sees none. */
  private waitSeen: string | undefined;
  private toldUnknown = false;

  constructor(private sql: Sql, private limits: HealthLimits) {}

  /** A batch starts: a sample `delayMs` into it (or when the last is SAMPLE_EVERY_MS old). */
  batchStarted(delayMs: number): void {
    this.inFlight++;
    this.schedule(delayMs);
  }

  /** A batch ended: no sample is started for it any more. */
  batchEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!this.inFlight && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The reasons to pause now: the sample in flight awaited, else the last one's; and app waits seen since the last check. */
  async current(): Promise<string[]> {
    const reasons = await (this.pending ?? this.reasons);
    const seen = this.waitSeen;
    this.waitSeen = undefined;
    return seen && !reasons.includes(seen) ? [seen, ...reasons] : reasons;
  }

  /** A new sample (during a pause); one in flight, or one taken in the last PAUSE_FIRST_MS, is shared. */
  async recheck(): Promise<string[]> {
    if (!this.pending && performance.now() - this.lastStarted >= PAUSE_FIRST_MS) this.start();
    return this.current();
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.pending) return;
    const wait = Math.max(delayMs, this.lastStarted + SAMPLE_EVERY_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight && !this.pending) this.start();
    }, wait);
    this.timer.unref?.();
  }

  private start(): void {
    this.lastStarted = performance.now();
    this.pending = this.take().finally(() => {
      this.pending = undefined;
      if (this.inFlight) this.schedule(0);
    });
  }

  private async take(): Promise<string[]> {
    try {
      const [s] = await this.sql.file(join(QUERIES_DIR, 'backfill_health.sql')) as unknown as HealthSample[];
      const { reasons, unknown } = judge(s, this.limits);
      if (s.app_sessions_waiting > 0) this.waitSeen = reasons[0];
      if (unknown.length && !this.toldUnknown) {
        this.toldUnknown = true;
        log.info(`  · health: ${unknown.join(' and ')} unknown to this role (GRANT pg_read_all_stats to see it); not a reason to pause`);
      }
      this.reasons = reasons;
    } catch (err) {
      // A lost session is the batch's to report (the package lock is checked there).
      if (log.isDebug()) log.info(`  · health: sample failed: ${(err as Error).message}`);
      this.reasons = [];
    }
    return this.reasons;
  }
}
