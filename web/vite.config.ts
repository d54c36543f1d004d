import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The test web app. Works with `vite build web` and `vite build --config web/vite.config.ts` alike:
 * the root is this folder whichever way vite is started.
 *
 * `vite web` (dev) proxies `/config.json` and `/api` to WEB_API_PROXY when it is set, e.g. the local
 * cloud (`WEB_API_PROXY=http://localhost:4600`) or the throwaway mock in dev-mock/.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const apiProxy = process.env.WEB_API_PROXY;

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: apiProxy
      ? {
          '/config.json': { target: apiProxy, changeOrigin: true },
          '/api': { target: apiProxy, changeOrigin: true },
        }
      : undefined,
  },
});
