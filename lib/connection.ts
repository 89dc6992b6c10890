// Where the database is and how we connect: --database-url, else DATABASE_URL,
// else the PG* variables; .env is read by dotenv. The password comes from the URL
// (user:password@ or ?password=), else PGPASSWORD, else PGPASSFILE / ~/.pgpass, the
// way libpq finds it. It is never kept in the URL we pass on: the server would get a
// ?password= as a startup setting, and a child tool would show it in `ps`.
//
// Every session of the package pins what it depends on, whatever the role or the
// database has set (ALTER ROLE … SET):
//   search_path = public     a schema named after the migrator ("$user" comes first
//                            by default) must not capture the tables the schema phase
//                            creates, nor shadow the app's tables in a query;
//   statement_timeout = 0    a role's timeout would cut CREATE INDEX CONCURRENTLY or
//                            VALIDATE halfway (leaving an INVALID index); our waits
//                            are bounded by lock_timeout, our batches by their size.
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';
import dotenv from 'dotenv';
import { UsageError } from './errors.ts';
import { addSecret, scrub } from './log.ts';

dotenv.config();

/** The session settings every connection of the package starts with. */
export const PINNED_SESSION_SETTINGS = {
  search_path: 'public',
  statement_timeout: '0',
} as const;

export interface Target {
  /** The URL without any password; undefined: host etc. come from the PG* variables. */
  url: string | undefined;
  /** The password, from wherever libpq would take it; never printed. */
  password: string | undefined;
  /** Where the password came from, for messages ("the URL", "PGPASSWORD", a file). */
  passwordSource: string | undefined;
  /** user@host:port/database, never the password. */
  display: string;
  host: string;
  port: string;
  user: string;
  database: string;
}

export interface ResolveOptions {
  /** The URL was given on the command line (--database-url): a password in it shows in `ps`. */
  fromFlag?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function resolveTarget(url: string | undefined, opts: ResolveOptions = {}): Target {
  const env = opts.env ?? process.env;
  addSecret(env.PGPASSWORD);
  let host = env.PGHOST || 'localhost', port = env.PGPORT || '5432';
  let user = env.PGUSER || safeOsUser(), database = env.PGDATABASE || '';
  let password: string | undefined, passwordSource: string | undefined;
  let cleanUrl: string | undefined;
  if (url) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`the database URL is not a valid URL (${scrub(url)}): expected postgres://user@host:port/database`);
    }
    if (!/^postgres(ql)?:$/.test(u.protocol)) {
      throw new UsageError(`the database URL must start with postgres:// or postgresql://, got ${u.protocol}//…`);
    }
    const inQuery = u.searchParams.get('password');
    if (u.password || inQuery) {
      password = u.password ? decodeURIComponent(u.password) : inQuery ?? undefined;
      passwordSource = opts.fromFlag ? '--database-url' : 'the database URL';
    }
    u.password = '';
    u.searchParams.delete('password');
    // The pinned settings win over the URL's own (postgres.js would let them override).
    for (const key of Object.keys(PINNED_SESSION_SETTINGS)) u.searchParams.delete(key);
    cleanUrl = u.toString();
    host = u.hostname || host;
    port = u.port || port;
    user = decodeURIComponent(u.username) || user;
    database = decodeURIComponent(u.pathname.replace(/^\//, '')) || database;
  }
  database ||= user;
  if (password === undefined && env.PGPASSWORD) {
    password = env.PGPASSWORD;
    passwordSource = 'PGPASSWORD';
  }
  if (password === undefined) {
    const file = env.PGPASSFILE || join(homedir(), '.pgpass');
    const found = passwordFromPassfile(file, { host, port, database, user });
    if (found !== undefined) {
      password = found;
      passwordSource = file;
    }
  }
  addSecret(password);
  return { url: cleanUrl, password, passwordSource, host, port, user, database, display: `${user}@${host}:${port}/${database}` };
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

/**
 * libpq's password file: lines host:port:database:user:password, `*` matches
 * anything, `\` escapes `:` and `\`, the first matching line wins, `#` starts a
 * comment. Like libpq, a file others may read is ignored.
 */
export function passwordFromPassfile(path: string, want: { host: string; port: string; database: string; user: string }): string | undefined {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile() || (st.mode & 0o077) !== 0) return undefined;
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return passwordFromPassfileText(text, want);
}

export function passwordFromPassfileText(text: string, want: { host: string; port: string; database: string; user: string }): string | undefined {
  // libpq matches "localhost" for a Unix socket connection too; we connect by TCP.
  const wanted = [want.host, want.port, want.database, want.user];
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const fields: string[] = [];
    let cur = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === ':' && fields.length < 4) { fields.push(cur); cur = ''; }
      else cur += c;
    }
    fields.push(cur);
    if (fields.length !== 5) continue;
    if (wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}

/** The one warning of a run whose password is on its command line. */
export function passwordVisibilityWarning(target: Target): string | undefined {
  if (target.passwordSource !== '--database-url') return undefined;
  return 'the password in --database-url is visible to other users of this machine (ps, /proc) for as long as the run lasts: ' +
    'prefer DATABASE_URL in the environment or .env, PGPASSWORD, or ~/.pgpass (PGPASSFILE)';
}

/** libpq connection for the client tools (pg_dump …): a URL with no password, the password in PGPASSWORD. */
export function clientToolConnection(target: Target): { args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ...process.env };
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  return { args: target.url ? ['--dbname', target.url] : [], env };
}

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  connectTimeoutSeconds?: number;
}

export function connect(target: Target, opts: ConnectOptions = {}): Sql {
  const options = {
    max: opts.max ?? 4,
    onnotice: () => {},
    connect_timeout: opts.connectTimeoutSeconds ?? 10,
    idle_timeout: 30,
    host: target.host,
    port: Number(target.port),
    user: target.user,
    database: target.database,
    ...(target.password !== undefined ? { password: target.password } : {}),
    // '0' as a string: postgres.js drops falsy startup settings, so a number 0 would not be sent.
    connection: { application_name: opts.applicationName ?? 'emailai-org-migration', ...PINNED_SESSION_SETTINGS } as Record<string, string>,
  } as postgres.Options<Record<string, never>>;
  const sql = target.url ? postgres(target.url, options) : postgres(options);
  return sql as unknown as Sql;
}

/**
 * A connection that broke mid-command: terminated (57P01), the server shutting down
 * or restarting (57P02, 57P03), the network (ECONNRESET, EPIPE), postgres.js noticing
 * (CONNECTION_CLOSED/ENDED/DESTROYED), and postgres.js 3.4's own crash on a socket it
 * already dropped ("Cannot read properties of null (reading 'write')").
 */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']
    .includes(e?.code ?? '') || /^08/.test(e?.code ?? '') || (err instanceof TypeError && /reading 'write'/.test(e.message ?? ''));
}

/** A one-line description of a connection error a person can act on. */
export function describeConnectionError(err: unknown, target: Target): string | undefined {
  const e = err as { code?: string; message?: string };
  const where = target.display;
  switch (e.code) {
    case 'ECONNREFUSED': return `cannot connect to ${where}: connection refused (is the server running, are host and port right?)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot connect to ${where}: unknown host`;
    case 'ETIMEDOUT': case 'CONNECT_TIMEOUT': return `cannot connect to ${where}: timed out`;
    case '28P01': return `cannot connect to ${where}: password authentication failed` +
      (target.passwordSource ? ` (the password came from ${target.passwordSource})` : ' (no password was found: set PGPASSWORD, DATABASE_URL or ~/.pgpass)');
    case '28000': return `cannot connect to ${where}: ${scrub(e.message ?? 'not authorized')}`;
    case '3D000': return `cannot connect to ${where}: ${scrub(e.message ?? 'database does not exist')}`;
    default: return undefined;
  }
}
