/** `schemas print|register|check`: the streams' Avro schemas and their registry subjects. */
import { createRegistry } from '../kafka/clients';
import { subjectsOf, topicNames } from '../kafka/topics';
import { loadStreamSchemas } from '../normalize';
import { annotateSchemas } from '../normalize/policy';
import { loadFromFlags, print, type CommonFlags } from './context';

type Action = 'print' | 'register' | 'check';

/** `schemas print|register|check`: the Avro schemas of the enabled streams, and their subjects. */
export async function schemasCommand(
  action: Action,
  flags: CommonFlags & { stream?: string },
): Promise<number> {
  const config = loadFromFlags(flags, flags.stream ? { 'streams.enabled': [flags.stream] } : {}, {
    'streams.enabled': '--stream',
  });
  const streams = config.streams.enabled;
  const topics = topicNames(config.kafka.topicPrefix);
  if (action === 'print') {
    for (const stream of streams) {
      const s = annotateSchemas(loadStreamSchemas(stream), config.fieldPolicy.streams[stream]);
      print(
        JSON.stringify(
          { stream, subject: subjectsOf(topics.events(stream)).value, key: s.key, value: s.value },
          null,
          2,
        ),
      );
    }
    return 0;
  }
  const registry = createRegistry(config.schemaRegistry);
  let failures = 0;
  for (const stream of streams) {
    const s = annotateSchemas(loadStreamSchemas(stream), config.fieldPolicy.streams[stream]);
    for (const [suffix, schema] of [
      ['key', s.key],
      ['value', s.value],
    ] as const) {
      const subject = subjectsOf(topics.events(stream))[suffix];
      if (action === 'register') {
        const id = await registry.registerSubject(subject, schema);
        print(`registered ${subject} (id ${id}, BACKWARD)`);
      } else {
        const problem = await registry.incompatibility(subject, schema);
        print(`${problem ? 'INCOMPATIBLE' : 'ok'}  ${subject}${problem ? `: ${problem}` : ''}`);
        if (problem) failures++;
      }
    }
  }
  return failures ? 2 : 0;
}
