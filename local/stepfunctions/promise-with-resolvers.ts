/**
 * aws-local-stepfunctions 3.0.0 calls `Promise.withResolvers` (Node 22+) in every Task state; this
 * project runs on Node 20. The one place the polyfill lives: imported by the execution runner.
 */
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
