import { CdcError } from '../errors';
import { canonicalJsonWithin } from './hash';

/**
 * Deepest nesting of objects and arrays an Intercom object may have. Real objects nest about six
 * levels; far deeper input (an adversarial custom attribute) would overflow the stack of the recursive
 * steps after this one (JSON.stringify fails near 5,000 levels on Node 20, the canonical hash earlier).
 */
export const MAX_DEPTH = 64;

/**
 * An object the connector refuses before mapping it, because publishing it would alter or lose data:
 * `too_deep` (nested deeper than {@link MAX_DEPTH}), `invalid_utf8` (a string or key holds a lone
 * surrogate, or U+FFFD: the HTTP body was not valid UTF-8 and its decoder replaced the bad bytes, or
 * the JSON escaped a lone surrogate, which UTF-8 cannot carry). Such an object goes to the dead-letter
 * topic, never to a silently altered value. `path` names the field.
 */
export class UnsafeObjectError extends CdcError {
  constructor(
    code: 'too_deep' | 'invalid_utf8',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`, { code, kind: 'system', retriable: false });
  }
}

/**
 * Checks a parsed JSON value without recursion (so that any depth is safe): throws
 * {@link UnsafeObjectError} for nesting deeper than `maxDepth` or a string (or key) that is not valid
 * Unicode text, naming the first such field under `path`.
 */
export function assertSafeJson(value: unknown, path: string, maxDepth = MAX_DEPTH): void {
  // Every object read runs through here: the common case (a safe object) is checked without
  // allocating; the walk that can name the bad field runs only when there is one.
  if (isSafe(value, 0, maxDepth)) return;
  findUnsafe(value, path, maxDepth);
}

/**
 * The canonical JSON of a parsed JSON value (canonicalJson), after the checks of assertSafeJson: throws
 * {@link UnsafeObjectError} as assertSafeJson does. One walk serves both. Its depth is bounded while it
 * writes; a bad string shows in the written text: JSON.stringify writes a lone surrogate as a `\udXXX`
 * escape and keeps U+FFFD as it is. Only when the text holds either (or a backslash before `ud`, which
 * the precise check then clears) does the precise check walk the value again.
 */
export function safeCanonicalJson(value: unknown, path: string, maxDepth = MAX_DEPTH): string {
  const json = canonicalJsonWithin(value, maxDepth);
  if (json === undefined || json.includes('\uFFFD') || json.includes('\\ud'))
    assertSafeJson(value, path, maxDepth);
  if (json === undefined)
    throw new UnsafeObjectError('too_deep', path, `nested deeper than ${maxDepth} levels`);
  return json;
}

/** Whether assertSafeJson would pass: recursion stops at `maxDepth`, so it cannot overflow the stack. */
function isSafe(value: unknown, depth: number, maxDepth: number): boolean {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isSafe(value[i], depth + 1, maxDepth)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!wellFormed(key) || !isSafe(record[key], depth + 1, maxDepth)) return false;
  return true;
}

/** Throws the {@link UnsafeObjectError} of the first bad field, walking with an explicit stack. */
function findUnsafe(value: unknown, path: string, maxDepth: number): void {
  const stack: Node[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      if (!wellFormed(v))
        throw new UnsafeObjectError(
          'invalid_utf8',
          pathOf(node, path),
          'the string is not valid Unicode (a lone surrogate, or U+FFFD where bytes were not UTF-8)',
        );
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (node.depth >= maxDepth)
      throw new UnsafeObjectError('too_deep', pathOf(node, path), `nested deeper than ${maxDepth} levels`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], depth: node.depth + 1, parent: node, key: i });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (!wellFormed(key))
        throw new UnsafeObjectError(
          'invalid_utf8',
          `${pathOf(node, path)}.${key}`,
          'the key is not valid Unicode',
        );
      stack.push({
        value: (v as Record<string, unknown>)[key],
        depth: node.depth + 1,
        parent: node,
        key,
      });
    }
  }
}

/** A value met by assertSafeJson, and how it was reached: its parent and the step from it. */
interface Node {
  value: unknown;
  depth: number;
  parent?: Node;
  /** Its key in the parent object, or its index in the parent array; none for the root. */
  key?: string | number;
}

/** `root.key[2].other`: the path of a node, spelled out only when an error names it. */
function pathOf(node: Node, root: string): string {
  let path = '';
  for (let n: Node | undefined = node; n?.parent; n = n.parent)
    path = (typeof n.key === 'number' ? `[${n.key}]` : `.${n.key}`) + path;
  return root + path;
}

function wellFormed(s: string): boolean {
  return !s.includes('\uFFFD') && (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * JSON.stringify for parsed JSON values of any depth (an explicit stack instead of recursion). Only
 * plain JSON: objects, arrays, strings, finite numbers, booleans, null (undefined in an object is
 * dropped, in an array it becomes null, as JSON.stringify does).
 */
export function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  type Frame = { kind: 'value'; value: unknown } | { kind: 'text'; text: string };
  const stack: Frame[] = [{ kind: 'value', value }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.kind === 'text') {
      out.push(frame.text);
      continue;
    }
    const v = frame.value;
    if (Array.isArray(v)) {
      const frames: Frame[] = [{ kind: 'text', text: '[' }];
      v.forEach((item, i) => {
        if (i > 0) frames.push({ kind: 'text', text: ',' });
        frames.push({ kind: 'value', value: item === undefined ? null : item });
      });
      frames.push({ kind: 'text', text: ']' });
      for (let i = frames.length - 1; i >= 0; i--) stack.push(frames[i]);
    } else if (typeof v === 'object' && v !== null) {
      const frames: Frame[] = [{ kind: 'text', text: '{' }];
      let first = true;
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined || typeof item === 'function') continue;
        frames.push({ kind: 'text', text: `${first ? '' : ','}${JSON.stringify(key)}:` });
        frames.push({ kind: 'value', value: item });
        first = false;
      }
      frames.push({ kind: 'text', text: '}' });
      for (let i = frames.length - 1; i >= 0; i--) stack.push(frames[i]);
    } else {
      out.push(JSON.stringify(v) ?? 'null');
    }
  }
  return out.join('');
}
