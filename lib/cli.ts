// The command line of runner.ts, strictly per command: the options a command takes
// are COMMON_FLAGS and the flags its module declares. An option it does not declare
// is a usage error (exit 2) that names the commands that do take it.
import { parseArgs } from 'node:util';
import { COMMON_FLAGS, type Flags } from './context.ts';
import { UsageError } from './errors.ts';

/** Every command's flags, asked only when an option is unknown (it loads every command module). */
export type FlagsOfEveryCommand = () => Promise<Record<string, Flags>>;

export async function parseCommandLine(command: string, args: string[], flags: Flags, everyCommand: FlagsOfEveryCommand) {
  const options = { ...COMMON_FLAGS, ...flags };
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name in options) continue;
    const owners = Object.entries(await everyCommand()).filter(([name, f]) => name !== command && t.name in f).map(([name]) => name);
    throw new UsageError(`${command} does not take ${t.rawName}` +
      (owners.length ? ` (${owners.join(', ')} ${owners.length > 1 ? 'take' : 'takes'} it)` : '') +
      `; its options: ${Object.keys(flags).map(f => `--${f}`).join(' ') || 'none beyond the common ones'}`);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}
