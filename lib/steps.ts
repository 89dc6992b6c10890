// Runs one SQL file of sql/ or rollback/ the lock-safe way:
//   - a file marked `-- transaction: yes` runs in one transaction with
//     SET LOCAL lock_timeout; a lock timeout (55P03) or a deadlock (40P01) rolls it
//     back and it is retried with exponential backoff and jitter;
//   - a file marked `-- transaction: none` holds exactly one statement (CREATE INDEX
//     CONCURRENTLY), sent alone, outside any transaction. If it names its index
//     (`-- index: name`) and that index exists INVALID (a failed build), the index is
//     dropped CONCURRENTLY first and built again.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Sql } from 'postgres';
import { RETRYABLE, type LockSettings, withRetries } from './lock-settings.ts';
import * as log from './log.ts';
import { assertPackageLockHeld } from './package-lock.ts';
import { QUERIES_DIR } from './paths.ts';

export interface StepFile {
  path: string;
  name: string;
  transaction: boolean;
  index?: string;
  /** The first line of the header's "Locks:" entry. */
  locks: string;
  text: string;
}

export function readStep(path: string): StepFile {
  const text = readFileSync(path, 'utf8');
  const header = (key: string) => text.match(new RegExp(`^--\\s*${key}:\\s*(.*)$`, 'mi'))?.[1]?.trim();
  const transaction = header('transaction');
  if (!transaction) throw new Error(`${path}: header has no "-- transaction:" line`);
  return {
    path,
    name: basename(path),
    transaction: !/^none\b/.test(transaction),
    index: header('index'),
    locks: locksSummary(text),
    text,
  };
}

/** The header's "Locks:" entry (with its continuation lines) up to its first sentence end. */
function locksSummary(text: string): string {
  const m = text.match(/^--\s*Locks:\s*(.*(?:\n--\s{4,}.*)*)/mi);
  if (!m) return '';
  const full = m[1].replace(/\n--\s+/g, ' ').replace(/\s+/g, ' ').trim();
  return full.split(/(?<=[^(]*)[:;.](?:\s|$)/)[0].trim();
}

export interface StepResult {
  name: string;
  ms: number;
  attempts: number;
  locks: string;
}


export class StepError extends Error {
  /** The cause's SQLSTATE or driver code: a lost connection stays recognisable. */
  code: string | undefined;
  constructor(public step: string, public cause: unknown) {
    super(`${step}: ${(cause as Error)?.message ?? String(cause)}`);
    this.code = (cause as { code?: string })?.code;
  }
}

export async function runStep(sql: Sql, path: string, settings: LockSettings,
                              sessionSettings: Record<string, string> = {}): Promise<StepResult> {
  const step = readStep(path);
  log.doing(`step ${step.name}`);
  const started = performance.now();
  let tries = 0;
  try {
    return await withRetries(settings, async attempt => {
      tries = attempt;
      if (step.transaction) {
        await sql.begin(async tx => {
          await tx`select set_config('lock_timeout', ${settings.lockTimeoutMs + 'ms'}, true)`;
          await assertPackageLockHeld(tx as unknown as Sql);
          for (const [k, v] of Object.entries(sessionSettings)) await tx`select set_config(${k}, ${v}, true)`;
          await tx.unsafe(step.text);
        });
      } else {
        try {
          await assertPackageLockHeld(sql);
          const conn = await sql.reserve();
          try {
            await conn`select set_config('lock_timeout', ${settings.indexWaitMs + 'ms'}, false)`;
            if (step.index) await dropInvalidIndex(conn, step.index);
            await conn.unsafe(step.text);
            if (step.index && !(await indexIsValid(conn, step.index))) {
              throw Object.assign(new Error(`index "${step.index}" exists but is INVALID after the build`), { code: '55P03', invalidAfterBuild: true });
            }
          } finally {
            await conn`select set_config('lock_timeout', '0', false)`.catch(() => {});
            conn.release();
          }
        } catch (err) {
          if ((err as { code?: string }).code === '55P03' && !(err as { invalidAfterBuild?: boolean }).invalidAfterBuild) {
            // The build waited --index-wait for older transactions and was cut: another try
            // would wait for the same transactions again (40 tries: 40 minutes). Give up now,
            // naming them; the INVALID index it leaves is dropped and rebuilt by the next run.
            const blockers = await indexBuildBlockers(sql).catch(() => '');
            throw new StepError(step.name, new Error(`CREATE INDEX CONCURRENTLY waited ${settings.indexWaitMs} ms (--index-wait) for older transactions to end and gave up` +
              (blockers ? `; still open: ${blockers}` : '') +
              '. End them or wait for them, then run the same command again: finished steps are skipped, and the INVALID index left behind is rebuilt.'));
          }
          throw err;
        }
      }
      const ms = performance.now() - started;
      log.info(`  ✓ ${step.name.padEnd(62)} ${log.duration(ms).padStart(8)}${attempt > 1 ? `  (${attempt} tries)` : ''}   ${step.locks}`);
      return { name: step.name, ms, attempts: attempt, locks: step.locks };
    }, {
      describe: (code, attempt, wait) =>
        log.info(`  … ${step.name}: ${code === '40P01' ? 'deadlock' : 'lock not granted within lock_timeout'}; try ${attempt + 1} in ${wait} ms`),
    });
  } catch (err) {
    if (err instanceof StepError) throw err;
    const code = (err as { code?: string }).code;
    if (code && RETRYABLE.has(code)) {
      const holders = await lockHolders(sql).catch(() => '');
      throw new StepError(step.name, new Error(`gave up after ${tries} tries: a lock stayed unavailable (${(err as Error).message})` +
        (holders ? `; locks on the app's tables are held by ${holders}` : '') +
        `. Wait for that session or end it, then run the same command again: finished steps are skipped.`));
    }
    throw new StepError(step.name, err);
  }
}

/** Who holds locks on public's tables, in a sentence (an anti-wraparound autovacuum shows as one). */
async function lockHolders(sql: Sql): Promise<string> {
  const rows = await sql.file(join(QUERIES_DIR, 'lock_holders.sql'));
  return rows.map(r => `pid ${r.pid} (${r.backend_type}${r.user_name ? `, ${r.user_name}` : ''}` +
    `${r.seconds === null ? '' : `, ${r.seconds} s in its transaction`}${r.query ? `: ${r.query}` : ''}; ${r.locks})`).join(', ');
}

/** The transactions a concurrent index build waits for, in a sentence. */
async function indexBuildBlockers(sql: Sql): Promise<string> {
  const rows = await sql.file(join(QUERIES_DIR, 'index_build_blockers.sql'));
  const visible = rows.filter(r => r.visible);
  if (visible.length) {
    return visible.map(r => `pid ${r.pid} (${r.user_name}, ${r.application_name || 'no application_name'}, ${r.state}` +
      `${r.seconds === null ? '' : `, ${r.seconds} s in its transaction`}${r.query ? `: ${r.query}` : ''})`).join(', ');
  }
  return rows.map(r => `pid ${r.pid} (${r.user_name ?? 'a role'}: its transaction is not visible to this role without pg_read_all_stats)`).join(', ');
}

async function indexIsValid(sql: Sql, name: string): Promise<boolean> {
  const rows = await sql`
    select i.indisvalid and i.indisready as ok
    from pg_class c join pg_index i on i.indexrelid = c.oid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = ${name}`;
  return rows.length === 0 ? false : Boolean(rows[0].ok);
}

async function dropInvalidIndex(sql: Sql, name: string): Promise<void> {
  const rows = await sql`
    select 1 from pg_class c join pg_index i on i.indexrelid = c.oid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = ${name} and not (i.indisvalid and i.indisready)`;
  if (rows.length) {
    log.info(`  … index "${name}" exists INVALID (a failed build): dropping it concurrently to build it again`);
    await sql`drop index concurrently if exists ${sql('public')}.${sql(name)}`;
  }
}
