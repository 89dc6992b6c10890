// Where the database is and how we connect: --database-url, else DATABASE_URL,
// else the PG* variables (postgres.js reads them); .env is read by dotenv.
import postgres, { type Sql } from 'postgres';
import dotenv from 'dotenv';
import { addSecret, scrub } from './log.ts';

dotenv.config();

export interface Target {
  /** undefined: postgres.js takes PGHOST, PGUSER, PGPASSWORD, PGDATABASE, PGPORT. */
  url: string | undefined;
  /** user@host:port/database, never the password. */
  display: string;
}

export function resolveTarget(flagUrl?: string): Target {
  const url = flagUrl || process.env.DATABASE_URL || undefined;
  addSecret(process.env.PGPASSWORD);
  if (url) {
    try {
      const u = new URL(url);
      if (u.password) addSecret(decodeURIComponent(u.password));
      const db = u.pathname.replace(/^\//, '') || '(default)';
      return { url, display: `${decodeURIComponent(u.username) || '(default user)'}@${u.hostname || 'localhost'}:${u.port || '5432'}/${db}` };
    } catch {
      return { url, display: scrub(url) };
    }
  }
  const e = process.env;
  return { url, display: `${e.PGUSER || '(default user)'}@${e.PGHOST || 'localhost'}:${e.PGPORT || '5432'}/${e.PGDATABASE || '(default)'}` };
}

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Session statement_timeout etc. could go here; lock_timeout is set per step. */
  connectTimeoutSeconds?: number;
}

export function connect(target: Target, opts: ConnectOptions = {}): Sql {
  const options = {
    max: opts.max ?? 4,
    onnotice: () => {},
    connect_timeout: opts.connectTimeoutSeconds ?? 10,
    idle_timeout: 30,
    connection: { application_name: opts.applicationName ?? 'emailai-org-migration' },
  };
  const sql = target.url ? postgres(target.url, options) : postgres(options);
  return sql as unknown as Sql;
}

/** A one-line description of a connection error a person can act on. */
export function describeConnectionError(err: unknown, target: Target): string | undefined {
  const e = err as { code?: string; message?: string };
  const where = target.display;
  switch (e.code) {
    case 'ECONNREFUSED': return `cannot connect to ${where}: connection refused (is the server running, are host and port right?)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot connect to ${where}: unknown host`;
    case 'ETIMEDOUT': case 'CONNECT_TIMEOUT': return `cannot connect to ${where}: timed out`;
    case '28P01': return `cannot connect to ${where}: password authentication failed`;
    case '28000': return `cannot connect to ${where}: ${scrub(e.message ?? 'not authorized')}`;
    case '3D000': return `cannot connect to ${where}: ${scrub(e.message ?? 'database does not exist')}`;
    default: return undefined;
  }
}
