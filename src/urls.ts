/**
 * URLs as they may be shown: without the `user:password@` a URL may carry (a registry URL with basic
 * auth, a proxy). Every place that shows a URL, in a table, an error or a log line, goes through here.
 */

/**
 * `url` without its user and password (and without a trailing `/`). A value that is not a URL is
 * returned with anything that looks like credentials in it removed ({@link textWithoutCredentials}).
 */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return textWithoutCredentials(url);
  }
}

/**
 * `text` (an error message, a library's text) with the user information of every URL in it removed:
 * `https://u:p@host/x` becomes `https://host/x`. It may remove more than the credentials of a URL whose
 * query holds an `@`, never less. Linear in the length of the text.
 */
export function textWithoutCredentials(text: string): string {
  return text.replace(/\/\/[^\s/]*@/g, '//');
}

/**
 * `text` as a configuration problem may show it: {@link textWithoutCredentials}, and also any
 * `user:password@` that is not after a `//` (a URL written without its scheme, `alice:pw@host:8081`).
 * Linear in the length of the text.
 */
export function valueWithoutCredentials(text: string): string {
  return textWithoutCredentials(text).replace(/[^\s/@,;"'=:]+:[^\s/@,;"']*@/g, '');
}

/** The user and password a URL carries (percent-decoded), or undefined when it carries none. */
export function credentialsOf(url: string): { username: string; password: string } | undefined {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return undefined;
    return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  } catch {
    return undefined;
  }
}
