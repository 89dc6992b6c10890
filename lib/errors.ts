// The error catalogue: every failure the package names on purpose is a class here,
// and the class carries its exit code (SPEC): 0 done / all checks hold · 1 a check or
// an operation failed · 2 usage error · 3 refused by a precondition, nothing changed.
// runner.ts turns a thrown error into an exit code in one place (exitCodeOf); a test
// asserts the class, not the text. Anything not listed here is a failure (exit 1).
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;
export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** An error of the package: its message names the thing and the next step. */
export class PackageError extends Error {
  readonly exitCode: ExitCode = EXIT.failed;
}

// ─── exit 2: usage ─────────────────────────────────────────────────────────────
/** A flag, a value or a command line the runner cannot take. */
export class UsageError extends PackageError {
  override readonly exitCode: ExitCode = EXIT.usage;
}

// ─── exit 3: refused, nothing changed ──────────────────────────────────────────
/** A precondition failed before anything was changed. */
export class RefusedError extends PackageError {
  override readonly exitCode: ExitCode = EXIT.refused;
}
/** Another runner (or `ley up`/`ley down`) holds the package lock (lib/package-lock.ts). */
export class LockHeldError extends RefusedError {}
/** The connection goes through a transaction-mode pooler (lib/pooler.ts). */
export class PoolerRefusedError extends RefusedError {}
/** An object exists but differs from its expected definition (the schema phase). */
export class SchemaConflictError extends RefusedError {}
/** `runner.ts cleanup` ran here: a `ley up` would reinstall the window triggers. */
export class CleanedUpError extends RefusedError {}
/** A `down` would drop what the new app wrote (rollback/000_refuse_while_new_app_data.sql). */
export class NewAppDataError extends RefusedError {}

// ─── exit 1: failed ────────────────────────────────────────────────────────────
/** The session holding the package lock ended mid-command. */
export class PackageLockLostError extends PackageError {}
/** Ctrl-C: stopped at a batch boundary; every finished batch is committed. */
export class InterruptedError extends PackageError {}

/** The exit code of an error the runner did not recognise as a connection problem. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof PackageError ? err.exitCode : EXIT.failed;
}
