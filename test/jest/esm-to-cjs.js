/**
 * A jest transform for ECMAScript-module-only packages (@platformatic/kafka and its own packages; see
 * jest.config.js): compiled to CommonJS by esbuild, since jest loads modules as CommonJS (it runs
 * require(esm) natively only on Node 24.9+). `import.meta.url` becomes the file's URL, which those
 * packages use to find their files (a WASM module) and to build a require.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcefile: filename,
      define: { 'import.meta.url': '__importMetaUrl' },
      banner: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    });
    return { code };
  },
};
