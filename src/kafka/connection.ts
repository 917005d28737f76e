/**
 * From settings to connections: where and how to reach Kafka (brokers, TLS, SASL), the same for both
 * clients, and the TLS material of the schema registry. The files a setting names (a CA, a certificate,
 * a key) are read here, when a client is built; one that cannot be read is a ConfigError naming its
 * environment variable.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import type { RegistryTls } from './registry';
import type { KafkaConnection, SaslMechanism } from './types';

/** The settings Kafka is reached with (configuration's `kafka` section has this shape). */
export interface KafkaSettings {
  clientId: string;
  brokers: readonly string[];
  ssl: { enabled: boolean; caFile: string; certFile: string; keyFile: string };
  sasl: { mechanism: 'none' | SaslMechanism; username: string; password: string };
}

/** The TLS files of the schema registry (configuration's `schemaRegistry` section); empty: none. */
export interface RegistryFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Where and how to reach Kafka: brokers, TLS (when enabled) with its files read, SASL (unless none). */
export function kafkaConnection(k: KafkaSettings): KafkaConnection {
  const { mechanism, username, password } = k.sasl;
  return {
    clientId: k.clientId,
    brokers: [...k.brokers],
    ...(k.ssl.enabled
      ? {
          tls: {
            rejectUnauthorized: true,
            ...(k.ssl.caFile ? { ca: [readSetting(k.ssl.caFile, 'KAFKA_SSL_CA_FILE')] } : {}),
            ...(k.ssl.certFile
              ? {
                  cert: readSetting(k.ssl.certFile, 'KAFKA_SSL_CERT_FILE'),
                  key: readSetting(k.ssl.keyFile, 'KAFKA_SSL_KEY_FILE'),
                }
              : {}),
          },
        }
      : {}),
    ...(mechanism === 'none' ? {} : { sasl: { mechanism, username, password } }),
  };
}

/** The registry's TLS material: each file that is set, read. */
export function registryTls(r: RegistryFiles): RegistryTls {
  return {
    ...(r.caFile ? { ca: readSetting(r.caFile, 'SCHEMA_REGISTRY_CA_FILE') } : {}),
    ...(r.certFile ? { cert: readSetting(r.certFile, 'SCHEMA_REGISTRY_CERT_FILE') } : {}),
    ...(r.keyFile ? { key: readSetting(r.keyFile, 'SCHEMA_REGISTRY_KEY_FILE') } : {}),
  };
}

/** A file a setting names; unreadable: a config error naming the setting and the reason (ENOENT, …). */
function readSetting(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${setting}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      [setting],
      error,
    );
  }
}
