export { loadConfig, maskedConfig, configTable, configLeaves } from './load';
export type { Config, LoadOptions } from './load';
export { STREAM_NAMES } from './schema';
