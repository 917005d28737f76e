/** `config print`: the effective configuration, secrets masked. */
import { maskedConfig } from '../config';
import { loadFromFlags, print, type CommonFlags } from './context';

/** `config print`: the effective configuration after every source, sensitive values masked. */
export async function configPrint(flags: CommonFlags): Promise<number> {
  print(JSON.stringify(maskedConfig(loadFromFlags(flags)), null, 2));
  return 0;
}
