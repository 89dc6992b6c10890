// Progress of a backfill pass on stderr: a live line on a terminal, plain lines
// (at most one every 5 s) otherwise. done/total, rows per second, ETA; and the
// pauses for the database's health (lib/health.ts), each with its reason.
import * as log from './log.ts';

export class Progress {
  private started = performance.now();
  private lastPrint = 0;
  private done: number;
  private changed = 0;
  private live = Boolean(process.stderr.isTTY);
  private ended = false;
  private pausedFor: string | undefined;
  private pausedPrinted = 0;

  constructor(private name: string, private total: number, already: number) {
    this.done = already;
  }

  update(rows: number, changed: number): void {
    this.done += rows;
    this.changed += changed;
    const now = performance.now();
    if (this.live) {
      process.stderr.write('\r' + this.line() + '   ');
    } else if (now - this.lastPrint > 5000) {
      this.lastPrint = now;
      log.info('  … ' + this.line());
    }
  }

  /**
   * A pause of the pass (keysetLoop's onPause): its reasons, printed when they change
   * (the jobs of a parallel pass share one) or every 5 s; null: it ended, after `ms`.
   */
  pause(reasons: string[] | null, ms: number): void {
    const now = performance.now();
    if (reasons === null) {
      if (this.pausedFor === undefined) return;
      this.pausedFor = undefined;
      this.say(`  … ${this.name} resumed after a pause of ${log.duration(ms)}`);
      return;
    }
    const why = reasons.join('; ');
    if (why === this.pausedFor && now - this.pausedPrinted < 5000) return;
    this.pausedFor = why;
    this.pausedPrinted = now;
    this.say(`  … ${this.name} paused${ms >= 1000 ? ` (${log.duration(ms)} so far)` : ''}: ${why}`);
  }

  private say(line: string): void {
    if (this.live) process.stderr.write('\r\x1b[K');
    log.info(line);
  }

  /** The pass's last line; once (the jobs of a parallel pass may each stop it). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.live) process.stderr.write('\r');
    log.info(`  ✓ ${this.line()}`);
  }

  private line(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const total = Math.max(this.total, this.done);
    const pct = total ? Math.min(100, Math.floor((this.done / total) * 100)) : 100;
    const rate = seconds > 0 ? this.changed / seconds : 0;
    const scanRate = seconds > 0 ? (this.done) / seconds : 0;
    const eta = scanRate > 0 ? (total - this.done) / scanRate : 0;
    const bar = this.live ? '[' + '#'.repeat(Math.round(pct / 5)).padEnd(20, '.') + '] ' : '';
    return `${this.name.padEnd(24)} ${bar}${this.done}/${total} (${pct}%)  ${this.changed} written  ${Math.round(rate)} rows/s  ETA ${log.duration(eta * 1000)}`;
  }
}
