/** Stops what the global setup started (nothing, when the stack was given or already running). */
export default async function globalTeardown(): Promise<void> {
  const release = (globalThis as { __stackRelease?: () => Promise<void> }).__stackRelease;
  if (release) await release();
}
