// Exit codes (SPEC): 0 done / all checks hold · 1 a check or an operation failed ·
// 2 usage error · 3 refused by a precondition, nothing changed.
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

export class UsageError extends Error {
  exitCode = EXIT.usage;
}

/** A precondition failed before anything was changed. */
export class RefusedError extends Error {
  exitCode = EXIT.refused;
}
