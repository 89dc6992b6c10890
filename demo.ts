// `npm run demo`: see lib/demo.ts.   npm run demo -- --users 50000
import { parseArgs } from 'node:util';
import { runDemo } from './lib/demo.ts';

const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' } } });
process.exitCode = await runDemo(Number(values.users));
