import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** Intercom's official OpenAPI file, read from the shared folder beside the repository (never copied into it). */
export const OPENAPI_SPEC = path.resolve(
  __dirname,
  '../../../shared/intercom-openapi/2.14/api.intercom.io.yaml',
);

/**
 * The parsed OpenAPI file, or undefined with a visible notice naming what is skipped when the file is
 * absent (a user's fresh clone; CI always has it).
 */
export function readOpenApi<T>(skipped: string): T | undefined {
  if (!existsSync(OPENAPI_SPEC)) {
    console.warn(`NOTICE: ${OPENAPI_SPEC} is absent; ${skipped} are skipped.`);
    return undefined;
  }
  return YAML.parse(readFileSync(OPENAPI_SPEC, 'utf8')) as T;
}
