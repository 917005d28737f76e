/** Finding a Java runtime for the local stack's JVMs. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from './errors';

/** A Java runtime found on this machine. */
export interface JavaRuntime {
  bin: string;
  major: number;
}

function majorOfRelease(home: string): number | undefined {
  const release = path.join(home, 'release');
  if (!existsSync(release)) return undefined;
  const match = /JAVA_VERSION="(\d+)/.exec(readFileSync(release, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

function majorOfBinary(bin: string): number | undefined {
  try {
    const out = execFileSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return parseVersion(out);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return stderr ? parseVersion(stderr) : undefined;
  }
}

function parseVersion(text: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/**
 * Every Java runtime this machine has: JAVA_HOME, the one on PATH, and the JDKs under /usr/lib/jvm,
 * newest first. Empty when there is none.
 */
export function findJavaRuntimes(): JavaRuntime[] {
  const found = new Map<string, JavaRuntime>();
  const homes = [process.env.JAVA_HOME, ...listJvmHomes()].filter((h): h is string => Boolean(h));
  for (const home of homes) {
    const bin = path.join(home, 'bin', 'java');
    const major = existsSync(bin) ? (majorOfRelease(home) ?? majorOfBinary(bin)) : undefined;
    if (major !== undefined) found.set(bin, { bin, major });
  }
  const onPath = majorOfBinary('java');
  if (onPath !== undefined) found.set('java', { bin: 'java', major: onPath });
  return [...found.values()].sort((a, b) => b.major - a.major);
}

function listJvmHomes(): string[] {
  const root = '/usr/lib/jvm';
  if (!existsSync(root)) return [];
  return readdirSync(root).map((name) => path.join(root, name));
}

/** The newest runtime of at least `minMajor`, or a StackError that says how to get one. */
export function requireJava(minMajor: number, purpose: string): JavaRuntime {
  const runtimes = findJavaRuntimes();
  const fit = runtimes.find((r) => r.major >= minMajor);
  if (fit) return fit;
  const seen = runtimes.length
    ? `found only Java ${runtimes.map((r) => r.major).join(', ')}`
    : 'found no Java';
  throw new StackError(
    `${purpose} needs Java ${minMajor} or newer, ${seen}. Install a JDK (Debian: apt-get install openjdk-17-jdk-headless) ` +
      `or set JAVA_HOME, or point the tests at an existing cluster with KAFKA_BROKERS and SCHEMA_REGISTRY_URL.`,
  );
}

/** Maven's `mvn`, or a StackError that says how to get it. */
export function requireMaven(): string {
  try {
    execFileSync('mvn', ['--version'], { stdio: 'ignore' });
    return 'mvn';
  } catch {
    throw new StackError(
      'The local Kafka stack is fetched from Maven Central with Maven, and `mvn` was not found. ' +
        'Install it (Debian: apt-get install maven), or point the tests at an existing cluster with ' +
        'KAFKA_BROKERS and SCHEMA_REGISTRY_URL.',
    );
  }
}
