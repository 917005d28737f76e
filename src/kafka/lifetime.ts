/**
 * How long one of `run`'s side consumers runs (the webhook hints, the signals): until the run stops, or
 * until it fails.
 */

/**
 * `ended` resolves once `abort` aborts (at once if it already did), or rejects with the first error
 * `fail` is given (the consumer's crash, a batch that failed); a failure removes the abort listener, so
 * that consumers started again on one long-lived signal leave none behind.
 */
export function consumerLifetime(abort: AbortSignal): {
  ended: Promise<void>;
  fail: (error: unknown) => void;
} {
  let fail: (error: unknown) => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    const stop = (): void => resolve();
    fail = (error) => {
      abort.removeEventListener('abort', stop);
      reject(error);
    };
    if (abort.aborted) resolve();
    else abort.addEventListener('abort', stop, { once: true });
  });
  return { ended, fail };
}
