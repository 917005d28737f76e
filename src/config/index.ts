export { loadConfig, maskedConfig, configTable, configLeaves } from './load';
export type { Config, LoadOptions } from './load';
