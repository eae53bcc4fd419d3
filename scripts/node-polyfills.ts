/**
 * Polyfills for node-side entry points on Node 20. Import first, before libp2p.
 *
 * `Promise.withResolvers` arrived in Node 22; libp2p 3's dependencies (it-queue, @libp2p/ping,
 * the stream classes) call it, and without it the first failure is a misleading
 * "Pubsub is not started" from gossipsub.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (v: T | PromiseLike<T>) => void;
      let reject!: (e: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
