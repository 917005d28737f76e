/**
 * The configuration: loading (defaults < file < environment < flags), its type, masking and the README
 * table.
 */
export { loadConfig, maskedConfig, configTable, configLeaves } from './load';
export { commaList } from './schema';
export type { Config, LoadOptions } from './load';
