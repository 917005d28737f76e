/**
 * The shape of the import graph of src/: no cycle between files, no cycle between folders, and the
 * capture core imports nothing of Kafka (issue 21's "Done when"; README "Layout" draws the layers).
 *
 * TypeScript reads and resolves the imports (`ts.preProcessFile`, then `ts.resolveModuleName` with
 * tsconfig.json's options), so every form counts as an edge: `import`, `import type`,
 * `export … from`, `import()`, `typeof import()` and `require()`.
 *
 * The folder rule. A file under src/ belongs to its first path segment (`intercom/auth/token.ts` is in
 * `intercom`). The top-level files take part in two roles:
 * - the composition root, `main.ts` and `app.ts`: `main.ts` dispatches to the commands of `src/cli`,
 *   which build through `app.ts`. Each is a node of its own in the folder graph, and only the
 *   composition root (`main.ts`, `app.ts`, `src/cli`) imports them;
 * - the shared base, every other top-level file (`errors.ts`, `retry.ts`, `sleep.ts`, `version.ts`):
 *   one node, `(base)`, that any folder may import and that imports nothing but the base.
 * Imports within one folder are that folder's own business here (the file rule still holds there).
 *
 * A failure names each cycle as a path, `a → b → c → a`. Every import that lies on some cycle appears
 * in at least one listed path, so a list that has become empty means the graph has no cycle left.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');
const COMPOSITION = ['main.ts', 'app.ts'];
const BASE = '(base)';
/** A package whose name says Kafka: the clients, their registry client, their test containers. */
const KAFKA_PACKAGE = /kafka/i;

type Graph = Map<string, Set<string>>;

/** What the scan of src/ found: the edges between its files (paths relative to src/, with `/`), the
 * packages each file imports, and the relative imports TypeScript could not resolve. */
interface Scan {
  files: string[];
  imports: Graph;
  packages: Graph;
  unresolved: string[];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function relative(file: string): string {
  return path.relative(SRC, file).split(path.sep).join('/');
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = path.join(ROOT, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configFile).options;
}

/** The module specifiers a source text imports, in every form (see the opening comment). */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`, `node:fs` → `node:fs`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function scan(): Scan {
  const options = compilerOptions();
  const cache = ts.createModuleResolutionCache(ROOT, (name) => name, options);
  const files = tsFiles(SRC).map(relative).sort();
  const imports: Graph = new Map();
  const packages: Graph = new Map();
  const unresolved: string[] = [];
  for (const file of files) {
    const containing = path.join(SRC, file);
    imports.set(file, new Set());
    packages.set(file, new Set());
    for (const specifier of specifiers(readFileSync(containing, 'utf8'))) {
      const { resolvedModule } = ts.resolveModuleName(specifier, containing, options, ts.sys, cache);
      const target =
        resolvedModule && !resolvedModule.isExternalLibraryImport ? resolvedModule.resolvedFileName : '';
      if (target.startsWith(SRC + path.sep)) {
        if (target.endsWith('.ts')) imports.get(file)!.add(relative(target));
      } else if (!target && !specifier.startsWith('.')) {
        packages.get(file)!.add(packageName(specifier));
      } else if (!target) {
        unresolved.push(`${file}: '${specifier}'`);
      }
    }
  }
  return { files, imports, packages, unresolved };
}

/** The node of a file in the folder graph (see the folder rule above). */
function folderOf(file: string): string {
  if (file.includes('/')) return file.slice(0, file.indexOf('/'));
  return COMPOSITION.includes(file) ? file : BASE;
}

function folderGraph(imports: Graph): Graph {
  const graph: Graph = new Map();
  for (const [from, targets] of imports) {
    const node = folderOf(from);
    if (!graph.has(node)) graph.set(node, new Set());
    for (const to of targets) if (folderOf(to) !== node) graph.get(node)!.add(folderOf(to));
  }
  return graph;
}

/** Tarjan's strongly connected components; a node on no cycle is a component of its own. */
function components(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    found.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest path from `from` to `to` through `within`, both ends included (breadth first). */
function shortestPath(graph: Graph, from: string, to: string, within: Set<string>): string[] {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0 && !previous.has(to)) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (within.has(next) && !previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  const reversed = [to];
  while (reversed[reversed.length - 1] !== from) reversed.push(previous.get(reversed[reversed.length - 1])!);
  return reversed.reverse();
}

/**
 * The cycles of a graph as paths `a → b → a`, sorted: for each edge u → v inside a strongly connected
 * component, the shortest cycle through it (u, then the shortest path back from v to u). Every edge on
 * any cycle is in the list, and the list is empty exactly when the graph has no cycle.
 */
function cycles(graph: Graph): string[] {
  const found = new Set<string>();
  for (const component of components(graph)) {
    const members = new Set(component);
    for (const from of component) {
      for (const to of graph.get(from) ?? []) {
        if (!members.has(to)) continue;
        const cycle = from === to ? [from] : [from, ...shortestPath(graph, to, from, members).slice(0, -1)];
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.add([...rotated, rotated[0]].join(' → '));
      }
    }
  }
  return [...found].sort();
}

function graphOf(edges: Record<string, string[]>): Graph {
  return new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));
}

function edgeList(graph: Graph, keep: (from: string, to: string) => boolean): string[] {
  return [...graph].flatMap(([from, targets]) =>
    [...targets].filter((to) => keep(from, to)).map((to) => `${from} → ${to}`),
  );
}

/** The folder cycles, each with the file imports behind its steps (the ones to move or cut). */
function folderCycles(imports: Graph): Record<string, string[]> {
  const behind = (cycle: string): string[] => {
    const steps = cycle.split(' → ');
    return steps
      .slice(1)
      .flatMap((to, i) => edgeList(imports, (a, b) => folderOf(a) === steps[i] && folderOf(b) === to).sort());
  };
  return Object.fromEntries(cycles(folderGraph(imports)).map((cycle) => [cycle, behind(cycle)]));
}

/** The imports that break the roles of the top-level files: the base reaching out of the base, or
 * main.ts or app.ts imported from outside the composition root. */
function misplacedImports(imports: Graph): string[] {
  const composition = (file: string): boolean => COMPOSITION.includes(file) || folderOf(file) === 'cli';
  return edgeList(
    imports,
    (from, to) =>
      (folderOf(from) === BASE && folderOf(to) !== BASE) || (COMPOSITION.includes(to) && !composition(from)),
  ).sort();
}

/** The imports of src/capture that reach a module of src/kafka or a Kafka package. */
function captureKafkaImports({ imports, packages }: Pick<Scan, 'imports' | 'packages'>): string[] {
  const fromCapture = (graph: Graph, keep: (to: string) => boolean): string[] =>
    edgeList(graph, (from, to) => folderOf(from) === 'capture' && keep(to));
  return [
    ...fromCapture(imports, (to) => folderOf(to) === 'kafka'),
    ...fromCapture(packages, (name) => KAFKA_PACKAGE.test(name)),
  ].sort();
}

describe('the import graph of src/', () => {
  const found = scan();

  describe('the checks can fail', () => {
    it('finds each cycle of a small graph as a path, and none in a graph without one', () => {
      const graph = graphOf({ a: ['b'], b: ['c', 'a'], c: ['a'], d: ['a'], e: ['e'] });
      expect(cycles(graph)).toEqual(['a → b → a', 'a → b → c → a', 'e → e']);
      expect(cycles(graphOf({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
    });

    it('finds a folder cycle, a misplaced top-level import and a Kafka import of capture in a small graph', () => {
      const imports = graphOf({
        'x/a.ts': ['y/b.ts', 'errors.ts'],
        'y/b.ts': ['x/c.ts'],
        'x/c.ts': ['app.ts'],
        'errors.ts': ['x/a.ts'],
        'cli/run.ts': ['app.ts'],
        'capture/engine.ts': ['capture/batch.ts', 'kafka/types.ts'],
      });
      expect(folderCycles(imports)).toEqual({
        '(base) → x → (base)': ['errors.ts → x/a.ts', 'x/a.ts → errors.ts'],
        'x → y → x': ['x/a.ts → y/b.ts', 'y/b.ts → x/c.ts'],
      });
      expect(misplacedImports(imports)).toEqual(['errors.ts → x/a.ts', 'x/c.ts → app.ts']);
      const packages = graphOf({
        'capture/batch.ts': ['pino', '@platformatic/kafka'],
        'kafka/x.ts': ['kafkajs'],
      });
      expect(captureKafkaImports({ imports, packages })).toEqual([
        'capture/batch.ts → @platformatic/kafka',
        'capture/engine.ts → kafka/types.ts',
      ]);
    });

    it('reads every form of import', () => {
      const text = [
        "import { a } from './a';",
        "import type { B } from './b';",
        "export * from './c';",
        "export { d } from './d';",
        "const e = import('./e');",
        "type F = typeof import('./f');",
        "const g = require('./g');",
        "// import { h } from './h';",
      ].join('\n');
      expect(specifiers(text)).toEqual(['./a', './b', './c', './d', './e', './f', './g']);
    });

    it('sees the files and imports that are there, and resolves every relative import', () => {
      const edges = edgeList(found.imports, () => true);
      expect(found.files).toHaveLength(tsFiles(SRC).length);
      expect(found.files.length).toBeGreaterThan(100);
      expect(edges.length).toBeGreaterThan(300);
      expect(edges).toEqual(expect.arrayContaining(['retry.ts → errors.ts', 'retry.ts → sleep.ts']));
      expect(found.packages.get('kafka/publisher.ts')).toContain('kafkajs');
      expect(found.unresolved).toEqual([]);
    });
  });

  it('has no cycle between files', () => {
    expect(cycles(found.imports)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(folderCycles(found.imports)).toEqual({});
  });

  it('keeps the top-level files in their roles: the base imports only the base, only the composition root imports main.ts or app.ts', () => {
    expect(misplacedImports(found.imports)).toEqual([]);
  });

  it('lets src/capture import no module of src/kafka and no Kafka package', () => {
    expect(captureKafkaImports(found)).toEqual([]);
  });
});
