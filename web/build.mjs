// Builds the frontends served by the server into dist-web/: the widget (/widget.js), the agent
// console (/console), the GraphQL playground (/playground) and the demo page (/).
// Usage: node web/build.mjs   (npm run build runs it after the server's tsc)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const out = path.join(root, 'dist-web');
/** The widget is embedded on customers' pages: it must stay small. */
const WIDGET_GZIP_BUDGET = 60 * 1024;

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  platform: 'browser',
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
};

const builds = [
  { name: 'widget', entryPoints: { widget: path.join(web, 'widget/index.ts') }, outdir: out, format: 'iife', target: ['es2020', 'chrome91', 'firefox90', 'safari15'] },
  { name: 'console', entryPoints: { console: path.join(web, 'console/index.tsx') }, outdir: path.join(out, 'console'), format: 'esm', target: ['es2020'], jsx: 'automatic' },
  {
    name: 'playground',
    entryPoints: { playground: path.join(web, 'playground/index.tsx') },
    outdir: path.join(out, 'playground'),
    format: 'esm',
    target: ['es2020'],
    jsx: 'automatic',
    loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  },
  {
    // GraphiQL 5's Monaco editors run their language services in web workers, loaded from these
    // files by web/playground/workers.ts (same origin: nothing from other hosts).
    name: 'playground workers',
    entryPoints: {
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    outdir: path.join(out, 'playground', 'workers'),
    format: 'esm',
    target: ['es2020'],
  },
];

const sizes = [];
await Promise.all(
  builds.map(async ({ name, ...options }) => {
    const result = await esbuild.build({ ...common, ...options });
    for (const [file, info] of Object.entries(result.metafile.outputs)) {
      if (file.endsWith('.map') || file.endsWith('.txt')) continue;
      const gzip = zlib.gzipSync(fs.readFileSync(path.join(root, file)), { level: 9 }).length;
      sizes.push({ name, file: path.relative(root, path.join(root, file)), bytes: info.bytes, gzip });
    }
  }),
);

const pages = [
  ['demo/index.html', 'index.html'],
  ['console/index.html', 'console/index.html'],
  ['playground/index.html', 'playground/index.html'],
  ['widget/chat.html', 'chat.html'],
  ['shared/favicon.svg', 'favicon.svg'],
];
for (const [from, to] of pages) fs.copyFileSync(path.join(web, from), path.join(out, to));

// /api/docs: Scalar's standalone bundle from npm, served from here (nothing from other hosts).
fs.mkdirSync(path.join(out, 'api-docs'), { recursive: true });
fs.copyFileSync(path.join(web, 'api-docs/index.html'), path.join(out, 'api-docs/index.html'));
fs.copyFileSync(path.join(web, 'api-docs/init.js'), path.join(out, 'api-docs/init.js'));
fs.copyFileSync(path.join(root, 'node_modules/@scalar/api-reference/dist/browser/standalone.js'), path.join(out, 'api-docs/scalar.js'));

sizes.sort((a, b) => a.file.localeCompare(b.file));
for (const s of sizes) console.log(`  ${s.file.padEnd(36)} ${(s.bytes / 1024).toFixed(1).padStart(8)} KB  ${(s.gzip / 1024).toFixed(1).padStart(7)} KB gzip`);
fs.writeFileSync(path.join(out, 'sizes.json'), JSON.stringify(sizes, null, 2));
const widget = sizes.find((s) => s.file.endsWith('widget.js'));
if (!widget || widget.gzip > WIDGET_GZIP_BUDGET) {
  console.error(`widget.js is ${widget ? (widget.gzip / 1024).toFixed(1) : '?'} KB gzipped, over its ${WIDGET_GZIP_BUDGET / 1024} KB budget`);
  process.exit(1);
}
