/** Word lists the generators draw from. */
export const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farah',
  'Gustavo',
  'Hana',
  'Ivan',
  'Jia',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
  'Olu',
  'Priya',
  'Quinn',
  'Rafael',
  'Sofia',
  'Tomás',
  'Uma',
  'Viktor',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoë',
];
export const LAST_NAMES = [
  'Andersen',
  'Baptiste',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Haddad',
  'Ibrahim',
  'Jensen',
  'Kowalski',
  'Lee',
  "O'Brien",
  'Müller',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Rossi',
  'Silva',
  'Tanaka',
  'Novák',
];
export const DOMAINS = [
  'example.com',
  'acme.io',
  'globex.net',
  'initech.co',
  'umbrella.org',
  'hooli.dev',
  'stark.eu',
];
export const PLACES: ReadonlyArray<readonly [string, string, string]> = [
  ['United States', 'California', 'San Francisco'],
  ['Ireland', 'Leinster', 'Dublin'],
  ['Germany', 'Berlin', 'Berlin'],
  ['Brazil', 'São Paulo', 'São Paulo'],
  ['Japan', 'Tokyo', 'Tokyo'],
  ['Australia', 'New South Wales', 'Sydney'],
  ['India', 'Karnataka', 'Bengaluru'],
  ['France', 'Île-de-France', 'Paris'],
];
export const BROWSERS = ['chrome', 'firefox', 'safari', 'edge'];
export const OSES = ['OS X 14.5', 'Windows 11', 'Ubuntu 24.04', 'iOS 18.1', 'Android 15'];
export const LANGUAGES = ['en', 'fr', 'de', 'pt-BR', 'ja', 'es'];
export const PLANS = ['free', 'starter', 'pro', 'enterprise'];
export const INDUSTRIES = ['Software', 'Retail', 'Finance', 'Healthcare', 'Education', 'Logistics'];
export const WORDS = [
  'account',
  'billing',
  'export',
  'invoice',
  'login',
  'password',
  'refund',
  'upgrade',
  'webhook',
  'api',
  'error',
  'slow',
  'report',
  'seat',
  'team',
  'integration',
  'mobile',
  'sync',
  'support',
  'question',
  'thanks',
  'urgent',
];
export const TEAM_NAMES = ['Support', 'Sales', 'Success', 'Billing', 'Engineering', 'Onboarding', 'VIP'];
export const TAG_NAMES = [
  'vip',
  'churn-risk',
  'beta',
  'bug',
  'feature-request',
  'billing',
  'enterprise',
  'trial',
];
export const JOB_TITLES = ['Support Engineer', 'Account Manager', 'Team Lead', 'Product Specialist'];

/** `count` words from WORDS chosen by `pick`. */
export function sentence(pick: (n: number) => number, count: number): string {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[pick(WORDS.length)] as string);
  return words.join(' ');
}
