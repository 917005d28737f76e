/**
 * The innermost link of the HTTP chain: one exchange with Intercom over HTTP, by axios's Node adapter,
 * with the settings every request shares (base URL, timeout per attempt, `Intercom-Version`, no
 * redirects, the body left as text for the parse link).
 */
import axios, { type AxiosAdapter, type CreateAxiosDefaults } from 'axios';

export interface TransportOptions {
  baseUrl: string;
  apiVersion: string;
  userAgent: string;
  /** Per attempt, idle socket time. */
  timeoutMs: number;
}

/** axios's Node http adapter: rejects with an AxiosError (with the response when one arrived) on a non-2xx answer. */
export function httpTransport(): AxiosAdapter {
  return axios.getAdapter('http');
}

/** The settings of every request: every one carries `Intercom-Version`; bodies stay text, parsed by the chain. */
export function requestDefaults(opts: TransportOptions): CreateAxiosDefaults {
  return {
    baseURL: opts.baseUrl.replace(/\/+$/, ''),
    timeout: opts.timeoutMs,
    headers: {
      'Intercom-Version': opts.apiVersion,
      Accept: 'application/json',
      'User-Agent': opts.userAgent,
    },
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxRedirects: 0,
  };
}
