// The house rules a reader can check with grep (issue 17), as a fast test with no
// database: lib/ has no import cycle and imports nothing of test/, dev/ or migrations/
// (what runs against production stays in lib/); each index and each window trigger is
// named in one SQL place only; every migration_log name the SQL spells is one of PHASES.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PACKAGE_DIR } from './helpers.ts';

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).sort().flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}

const LIB = join(PACKAGE_DIR, 'lib');
const rel = (p: string) => relative(PACKAGE_DIR, p);

/** Every relative import (static, dynamic, type-only) of each lib/ file, resolved. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...files(LIB, '.ts'), join(PACKAGE_DIR, 'runner.ts')]) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^'"`;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s+['"](\.[^'"]+)['"]/gm)]
      .map(m => m[1] ?? m[2] ?? m[3]);
    graph.set(rel(file), specs.map(s => rel(resolve(dirname(file), s))));
  }
  return graph;
}

test('nothing in lib/ imports test/, dev/ or migrations/', () => {
  const bad = [...importGraph()].filter(([f]) => f.startsWith('lib/'))
    .flatMap(([f, deps]) => deps.filter(d => /^(test|dev|migrations)\//.test(d)).map(d => `${f} -> ${d}`));
  assert.equal(bad, []);
});

test('lib/ has no import cycle', () => {
  const graph = importGraph();
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' -> ')); return; }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) if (d.startsWith('lib/')) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.equal(cycles, []);
});

/** The SQL files outside comments, where a name can be written as code. */
function sqlCode(dirs: string[]): Map<string, string> {
  const code = new Map<string, string>();
  for (const d of dirs) for (const f of files(join(PACKAGE_DIR, d), '.sql')) {
    code.set(rel(f), readFileSync(f, 'utf8').replace(/--.*$/gm, ''));
  }
  return code;
}
// rollback/ is the undo beside each step (it drops what the step named); the expected
// definitions of emailai-schema.md are written out once, independently, in the check the
// schema phase's precondition reads (checks/schema_objects_missing_or_different.sql).
const EXPECTATION = 'checks/schema_objects_missing_or_different.sql';
const PLACES = ['sql', 'handover', 'checks', 'queries'];

test('each index the package builds is named in one SQL step only (and in the expected definitions)', () => {
  const code = sqlCode(PLACES);
  const names = [...code.values()].flatMap(t => [...t.matchAll(/CREATE (?:UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS "([^"]+)"/g)].map(m => m[1]));
  assert.ok(names.length >= 16, `${names.length} index names found`);
  const where = names.map(n => [n, [...code].filter(([f, t]) => f !== EXPECTATION && (t.includes(`"${n}"`) || t.includes(`'${n}'`))).map(([f]) => f)] as const);
  assert.equal(where.filter(([, fs]) => fs.length !== 1), []);
});

test('each window trigger is named in one SQL step only (its install), and listed once in lib/window-triggers.ts', async () => {
  const { WINDOW_TRIGGERS, SIGNUP_KEEPER } = await import('../lib/window-triggers.ts');
  const code = sqlCode(PLACES);
  const where = [...WINDOW_TRIGGERS, SIGNUP_KEEPER].map(t => [t.trigger, [...code].filter(([, s]) => s.includes(t.trigger)).map(([f]) => f)] as const);
  assert.equal(where.filter(([, fs]) => fs.length !== 1), []);
  const ts = [...files(LIB, '.ts'), join(PACKAGE_DIR, 'runner.ts')].filter(f => !f.endsWith('window-triggers.ts'));
  const copies = [...WINDOW_TRIGGERS, SIGNUP_KEEPER].flatMap(t => ts.filter(f => readFileSync(f, 'utf8').includes(t.trigger)).map(f => `${t.trigger} in ${rel(f)}`));
  assert.equal(copies, []);
});

test('every migration_log name in the SQL folders is one of PHASES, and lib/ spells none outside lib/migration-log.ts', async () => {
  const { PHASES } = await import('../lib/migration-log.ts');
  const known = new Set<string>(Object.values(PHASES));
  const found: [string, string][] = [];
  for (const d of ['queries', 'checks', 'sql', 'rollback', 'handover']) for (const f of files(join(PACKAGE_DIR, d), '.sql')) {
    for (const m of readFileSync(f, 'utf8').matchAll(/'(multi_tenant_[^']*)'/g)) found.push([rel(f), m[1]]);
  }
  assert.ok(found.length >= 10, `${found.length} migration_log names found in SQL`);
  assert.equal(found.filter(([, name]) => !known.has(name)).map(([f, name]) => `${name} in ${f}`), []);
  const ts = [...files(LIB, '.ts'), join(PACKAGE_DIR, 'runner.ts')].filter(f => !f.endsWith('migration-log.ts'));
  const spelled = ts.flatMap(f => [...readFileSync(f, 'utf8').replace(/^\s*\/\/.*$/gm, '').matchAll(/['"`](multi_tenant_\w*)/g)]
    .map(m => `${m[1]} in ${rel(f)}`));
  assert.equal(spelled, []);
});

test('each command reads its flags once, through its options(o): lib/ reads ctx.options nowhere else', () => {
  const reads = files(LIB, '.ts').flatMap(f => [...readFileSync(f, 'utf8').matchAll(/.{0,30}ctx\.options\b.?/g)]
    .filter(m => !/\boptions\(ctx\.options[,)]/.test(m[0])).map(m => `${rel(f)}: ${m[0].trim()}`));
  assert.equal(reads, []);
});

test.run();
