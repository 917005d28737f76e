/**
 * The local stack's jars: Kafka and Apicurio Registry fetched with Maven into the stack folder, kept
 * between runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from './errors';
import { requireMaven } from './java';

const run = promisify(execFile);

type Say = (line: string) => void;

/** Versions of the local stack. Kafka 3.9.x is the first target, 4.x the second (see README). */
export const KAFKA_VERSION = process.env.STACK_KAFKA_VERSION ?? '3.9.1';

/** Logging backends: the kafka_2.13 POM ships none. */
function kafkaLoggingDeps(version: string): string[][] {
  if (version.startsWith('3.')) {
    return [
      ['org.slf4j', 'slf4j-reload4j', '1.7.36'],
      ['ch.qos.reload4j', 'reload4j', '1.2.25'],
    ];
  }
  return [
    ['org.slf4j', 'slf4j-api', '1.7.36'],
    ['org.apache.logging.log4j', 'log4j-slf4j-impl', '2.24.3'],
    ['org.apache.logging.log4j', 'log4j-core', '2.24.3'],
  ];
}

function pomFor(version: string): string {
  const deps = [['org.apache.kafka', 'kafka_2.13', version], ...kafkaLoggingDeps(version)]
    .map(
      ([g, a, v]) =>
        `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`,
    )
    .join('\n    ');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>intercom-cdc.devstack</groupId><artifactId>kafka</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    ${deps}
  </dependencies>
</project>
`;
}

async function maven(args: string[], what: string): Promise<void> {
  const mvn = requireMaven();
  try {
    await run(mvn, ['-q', '-B', ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const out = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    throw new StackError(
      `Maven could not fetch ${what} from Maven Central. Check network access to Maven Central ` +
        `(or a mirror in ~/.m2/settings.xml). Maven said:\n${out.trim().split('\n').slice(-15).join('\n')}`,
      error,
    );
  }
}

/** Downloads once, then reuses: a folder is complete only when its marker file exists. */
async function once(
  dir: string,
  what: string,
  say: Say,
  fetch: (dir: string) => Promise<void>,
): Promise<string> {
  const marker = path.join(dir, '.complete');
  if (existsSync(marker)) return dir;
  say(`local stack: fetching ${what} from Maven Central into ${dir} (first run only)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await fetch(dir);
  writeFileSync(marker, new Date().toISOString());
  return dir;
}

/** The folder of Kafka's jars (broker, controller, tools), fetched with Maven on first use. */
export async function kafkaLib(root: string, say: Say, version = KAFKA_VERSION): Promise<string> {
  const dir = await once(path.join(root, `kafka-${version}`), `Apache Kafka ${version}`, say, async (d) => {
    const pom = path.join(d, 'pom.xml');
    writeFileSync(pom, pomFor(version));
    await maven(
      [
        '-f',
        pom,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(d, 'lib')}`,
      ],
      `Apache Kafka ${version}`,
    );
  });
  return path.join(dir, 'lib');
}

/** A Maven coordinate: group, artifact, version. */
export type Gav = readonly [string, string, string];

/**
 * A folder of jars (`<root>/<name>/lib`): `deps` with their runtime dependencies, fetched with Maven on
 * first use and kept. `managed` pins versions of transitive dependencies (dependencyManagement), e.g. a
 * module whose own version Maven Central does not serve; `exclude` drops group ids (what the runtime
 * that loads the folder already has).
 */
export async function mavenLib(
  root: string,
  name: string,
  what: string,
  deps: readonly Gav[],
  say: Say,
  options: { managed?: readonly Gav[]; excludeGroupIds?: readonly string[] } = {},
): Promise<string> {
  const xml = (list: readonly Gav[]): string =>
    list
      .map(
        ([g, a, v]) =>
          `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`,
      )
      .join('\n    ');
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>intercom-cdc.devstack</groupId><artifactId>${path.basename(name)}</artifactId><version>1</version><packaging>pom</packaging>
  <dependencyManagement><dependencies>
    ${xml(options.managed ?? [])}
  </dependencies></dependencyManagement>
  <dependencies>
    ${xml(deps)}
  </dependencies>
</project>
`;
  const dir = await once(path.join(root, name), what, say, async (d) => {
    writeFileSync(path.join(d, 'pom.xml'), pom);
    const exclude = options.excludeGroupIds?.length
      ? [`-DexcludeGroupIds=${options.excludeGroupIds.join(',')}`]
      : [];
    await maven(
      [
        '-f',
        path.join(d, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        ...exclude,
        `-DoutputDirectory=${path.join(d, 'lib')}`,
      ],
      what,
    );
  });
  return path.join(dir, 'lib');
}

/** The unpacked Apicurio Registry (a Quarkus app), fetched with Maven on first use. */
export async function apicurioHome(root: string, version: string, say: Say): Promise<string> {
  return once(path.join(root, `apicurio-${version}`), `Apicurio Registry ${version}`, say, async (d) => {
    await maven(
      [
        'dependency:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
        `-DoutputDirectory=${d}`,
      ],
      `Apicurio Registry ${version}`,
    );
    const archive = readdirSync(d).find((f) => f.endsWith('.tar.gz'));
    if (!archive) throw new StackError(`Maven fetched no archive of Apicurio Registry ${version} into ${d}`);
    await run('tar', ['xzf', archive], { cwd: d });
    rmSync(path.join(d, archive));
  });
}
