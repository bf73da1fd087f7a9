#!/usr/bin/env node
// `npm run build:console`: the operator console (console/) bundled by esbuild into console/dist, which
// wrangler.toml serves as the Worker's static assets at `/`. Nothing is fetched at run time: JsSIP is bundled.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../console/', import.meta.url));

/**
 * Build the console into console/dist (index.html, console.css, console.js). Files are overwritten in place, never
 * removed first: the test harness runs this (wrangler's `[build]`) for every Worker it starts.
 */
export async function buildConsole() {
  const out = `${root}dist`;
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [`${root}src/main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outfile: `${out}/console.js`,
    logLevel: 'warning',
    legalComments: 'none',
  });
  copyFileSync(`${root}index.html`, `${out}/index.html`);
  copyFileSync(`${root}console.css`, `${out}/console.css`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildConsole();
