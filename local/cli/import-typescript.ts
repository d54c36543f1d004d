/**
 * Imports a TypeScript module at run time, whether this code runs under tsx (npm start, the tests)
 * or from a bundle made by local/cli/launch.mjs, which runs without a TypeScript loader. In the
 * bundle, the first attempt fails with ERR_UNKNOWN_FILE_EXTENSION; the module is then loaded through
 * tsx (its tsImport: the module and everything it imports, under a URL of its own, since Node keeps
 * the failed attempt for the plain one), and only then: the quick path of a tool never pays for it.
 */
export async function importTypeScript<T>(url: URL): Promise<T> {
  try {
    return (await import(url.href)) as T;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url.href, import.meta.url)) as T;
  }
}
