/**
 * Loads the WooCommerce emulator the way the benchmark needs it: the BUILT module
 * (dist/demo/woocommerce-emulator.js of the build under test). The emulator keeps its catalog
 * in id order (a list request costs O(page)), so it is used exactly as built.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildRoot } from './build.mjs';

/** Import the built emulator module. */
export async function loadEmulator() {
  const DIST = path.join(buildRoot(), 'dist/demo/woocommerce-emulator.js');
  if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  return { module: await import(pathToFileURL(DIST).href) };
}
