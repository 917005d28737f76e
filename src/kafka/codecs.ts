/**
 * Codec registration: before the first event is written, each stream's key and value schemas are
 * registered (and checked BACKWARD compatible) under the subjects of its topic, and the ids the registry
 * gives are put into the stream's codec, so that writing an event makes no registry call.
 */
import type { StreamCodec } from '../capture/contracts';
import { loadStreamSchemas } from '../normalize';
import { annotateSchemas, type FieldPolicies } from '../normalize/policy';
import type { StreamName } from '../streams';
import type { Registry } from './registry';
import { subjectsOf, type TopicNames } from './topics';
import { EventCodec } from './wire';

/**
 * Registers the key and value schemas of each stream, in order (each value schema saying what the
 * stream's field policy does, src/normalize/policy.ts annotateSchemas); resolves with each stream's
 * codec. Rejects with the registry's error (an incompatible schema, the registry away past its retries).
 */
export async function registerCodecs(
  registry: Registry,
  topics: TopicNames,
  streams: readonly StreamName[],
  policies: FieldPolicies = {},
): Promise<Map<StreamName, StreamCodec>> {
  const codecs = new Map<StreamName, StreamCodec>();
  for (const stream of streams) {
    const schemas = annotateSchemas(loadStreamSchemas(stream), policies[stream]);
    const topic = topics.events(stream);
    const subjects = subjectsOf(topic);
    const keyId = await registry.registerSubject(subjects.key, schemas.key);
    const valueId = await registry.registerSubject(subjects.value, schemas.value);
    codecs.set(stream, { stream, topic, wire: new EventCodec(schemas, { key: keyId, value: valueId }) });
  }
  return codecs;
}
