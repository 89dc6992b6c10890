// All printing. Human progress goes to stderr, the --json document to stdout.
// Every line passes through scrub(): a password never reaches any output.

const secrets = new Set<string>();

export function addSecret(value: string | undefined | null): void {
  if (value && value.length >= 1) secrets.add(value);
}

export function scrub(text: string): string {
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)([^@\s]*)@/gi, '$1***@');
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

const state = { json: false, quiet: false, debug: false, jsonWritten: false };

export function configureLog(opts: { json?: boolean; quiet?: boolean; debug?: boolean }): void {
  Object.assign(state, opts);
}

export function isDebug(): boolean {
  return state.debug;
}

export function info(line: string): void {
  if (!state.quiet) process.stderr.write(scrub(line) + '\n');
}

export function warn(line: string): void {
  process.stderr.write(scrub('⚠ ' + line) + '\n');
}

export function error(line: string): void {
  process.stderr.write(scrub('✗ ' + line) + '\n');
}

/** Writes the one JSON document of a --json run to stdout. */
export function json(doc: unknown): void {
  state.jsonWritten = true;
  process.stdout.write(scrub(JSON.stringify(doc, null, 2)) + '\n');
}

/** In --json mode, whether the run's one document went out already (a failing run writes one at the end). */
export function jsonPending(): boolean {
  return state.json && !state.jsonWritten;
}

/** Writes human output meant for stdout (reports, plans) when not in --json mode. */
export function out(text: string): void {
  process.stdout.write(scrub(text) + '\n');
}

let activity: string | undefined;

/** What the command is doing now (a step, a batch): named when the run dies of a lost connection. */
export function doing(what: string | undefined): void {
  activity = what;
}

export function currentActivity(): string | undefined {
  return activity;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}
