/**
 * An AWS SDK client whose module is loaded on first use: a function pays at cold start only for the clients its own
 * work calls (EC2's client alone takes ~185 ms to import). The Lambda runtime provides the SDK, so the bundle keeps
 * each `import()` as a lazy `require`.
 */
export function lazyClient<M, C>(
  load: () => Promise<M>,
  create: (sdk: M) => C,
): () => Promise<{ readonly sdk: M; readonly client: C }> {
  let loaded: Promise<{ readonly sdk: M; readonly client: C }> | undefined;
  return () => {
    loaded ??= load().then(
      (sdk) => ({ sdk, client: create(sdk) }),
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    );
    return loaded;
  };
}
