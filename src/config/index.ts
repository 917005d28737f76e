export { loadConfig, maskedConfig, configTable, configLeaves } from './load';
export { commaList } from './schema';
export type { Config, LoadOptions } from './load';
