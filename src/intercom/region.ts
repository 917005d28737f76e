/** Intercom's data-hosting regions (US, EU, Australia) and the API host of each, and the API version sent. */
export type Region = 'us' | 'eu' | 'au';

export const REGIONS: readonly Region[] = ['us', 'eu', 'au'];

/** The API version sent as `Intercom-Version` on every request unless configured otherwise. */
export const DEFAULT_API_VERSION = '2.14';

const BASE_URLS: Readonly<Record<Region, string>> = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
};

/** The API base URL of a region. An explicit base URL (proxy, simulator) replaces this entirely. */
export function baseUrlFor(region: Region): string {
  return BASE_URLS[region];
}
