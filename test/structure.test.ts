// The house rules a reader can check with grep (issue 17), as a fast test with no
// database: lib/ has no import cycle and imports nothing of test/, dev/ or migrations/
// (what runs against production stays in lib/); each index and each window trigger is
// named in one SQL place only.
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

test.run();
