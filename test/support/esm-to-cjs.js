/** A jest transformer for ESM-only dependencies: esbuild rewrites their import/export to CommonJS
 *  (jest's module loader cannot require() ESM on Node 22). */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { format: 'cjs', loader: 'js', target: 'node22', sourcefile: filename, sourcemap: 'external' });
    return { code, map };
  },
};
