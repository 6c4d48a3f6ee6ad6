import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { SourceConfig, StoreConfig } from '../../config/schema.js';
import { UsageError } from '../../domain/errors.js';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';

/**
 * `invsync init`: write a starter configuration that validates as written, with every secret
 * as a `${ENV}` reference. YAML by default, because YAML has comments and cosmiconfig reads
 * `.invsyncrc.yaml` natively; `--format json` writes `invsync.config.json` (no comments).
 */

/** The type names the config schema accepts, in schema order. */
// A store read as a source (type "store") reads another configured store: not a starter's first source.
export const SOURCE_TYPES: string[] = SourceConfig.options.map((o) => o.shape.type.value).filter((t) => t !== 'store');
export const STORE_TYPES: string[] = StoreConfig.options.map((o) => o.shape.type.value);

interface Template {
  /** Default source name for this type. */
  name?: string;
  /** YAML lines of the mapping (without the name/type), each a `key: value` or a comment. */
  yaml: string[];
  /** The same keys for JSON. */
  json: Record<string, unknown>;
}

const SOURCES: Record<string, Template> = {
  csv: {
    name: 'feed',
    yaml: [
      '# A local file (relative to this config file), or `url: https://…` instead (exactly one of them).',
      'path: supplier.csv',
      '# Header names of the SKU and quantity columns.',
      'columns: { sku: sku, qty: qty }',
      '# delimiter: ";"',
      '# For a URL that needs a login:  headers: { Authorization: "Bearer ${SUPPLIER_TOKEN}" }',
    ],
    json: { path: 'supplier.csv', columns: { sku: 'sku', qty: 'qty' }, delimiter: ',' },
  },
  json: {
    name: 'api',
    yaml: [
      '# A paged HTTP JSON API (or `path:` for a local JSON file).',
      'url: https://supplier.example.com/api/stock',
      '# Dot paths: the items array in each page, then the SKU and quantity in each item.',
      'itemsPath: items',
      'skuPath: sku',
      'qtyPath: qty',
      '# Paging: page | offset | cursor | link (README › Sources › json).',
      'paging: { type: page, pageParam: page, sizeParam: per_page }',
      'pageSize: 100',
      'headers:',
      '  Authorization: "Bearer ${SUPPLIER_TOKEN}"',
    ],
    json: {
      url: 'https://supplier.example.com/api/stock', itemsPath: 'items', skuPath: 'sku', qtyPath: 'qty',
      paging: { type: 'page', pageParam: 'page', sizeParam: 'per_page' }, pageSize: 100,
      headers: { Authorization: 'Bearer ${SUPPLIER_TOKEN}' },
    },
  },
  dropshipzone: {
    name: 'dsz',
    yaml: [
      '# Your Dropshipzone retailer login; the API allows 60 requests/min and 600/hour.',
      'email: you@example.com',
      'password: "${DSZ_PASSWORD}"',
    ],
    json: { email: 'you@example.com', password: '${DSZ_PASSWORD}' },
  },
  inventree: {
    name: 'inventree',
    yaml: [
      'url: https://inventree.example.com',
      '# An API token (InvenTree › Settings › User › API tokens).',
      'token: "${INVENTREE_TOKEN}"',
      '# The part field holding the store SKU, and the stock figure to use.',
      'skuField: IPN',
      'qtyField: unallocated_stock',
    ],
    json: { url: 'https://inventree.example.com', token: '${INVENTREE_TOKEN}', skuField: 'IPN', qtyField: 'unallocated_stock' },
  },
  netsuite: {
    name: 'netsuite',
    yaml: [
      '# Token-based authentication (an integration record plus an access token).',
      'accountId: "1234567_SB1"',
      'consumerKey: "${NS_CONSUMER_KEY}"',
      'consumerSecret: "${NS_CONSUMER_SECRET}"',
      'tokenId: "${NS_TOKEN_ID}"',
      'tokenSecret: "${NS_TOKEN_SECRET}"',
      '# Internal ids of the locations whose available quantities are summed (default: all).',
      '# locations: [1, 5]',
    ],
    json: {
      accountId: '1234567_SB1', consumerKey: '${NS_CONSUMER_KEY}', consumerSecret: '${NS_CONSUMER_SECRET}',
      tokenId: '${NS_TOKEN_ID}', tokenSecret: '${NS_TOKEN_SECRET}',
    },
  },
  ledger: {
    name: 'warehouse',
    yaml: [
      '# Your own stock: counts plus movements, each movement applied once (README › Sources › ledger).',
      '# Count files: sku,qty and a date column (else the file\'s modification time is the count time).',
      'counts: counts/*.csv',
      '# Movement files (wildcards in the file name only), or `url:`; kind: purchase (+), sale (-), adjustment (signed).',
      'movements:',
      '  - { name: purchases, path: purchases/*.csv, kind: purchase }',
      '  - { name: sales, path: sales/*.csv, kind: sale }',
      '  - { name: adjustments, path: adjustments/*.csv, kind: adjustment }',
      '# Header names, for counts and movements alike; an id is unique within its input.',
      'columns: { id: id, sku: sku, qty: qty, at: date }',
    ],
    json: {
      counts: 'counts/*.csv',
      movements: [
        { name: 'purchases', path: 'purchases/*.csv', kind: 'purchase' },
        { name: 'sales', path: 'sales/*.csv', kind: 'sale' },
        { name: 'adjustments', path: 'adjustments/*.csv', kind: 'adjustment' },
      ],
      columns: { id: 'id', sku: 'sku', qty: 'qty', at: 'date' },
    },
  },
};

const STORES: Record<string, Template> = {
  woocommerce: {
    yaml: [
      '# The site root. A Read/Write key from WooCommerce › Settings › Advanced › REST API.',
      'url: https://shop.example.com',
      'consumerKey: "${WC_KEY}"',
      'consumerSecret: "${WC_SECRET}"',
    ],
    json: { url: 'https://shop.example.com', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
  },
  shift4shop: {
    yaml: [
      'url: https://apirest.3dcart.com/3dCartWebAPI/v1',
      '# Your store\'s secure URL, and the REST API keys of your app.',
      'secureUrl: https://yourstore.3dcartstores.com',
      'privateKey: "${SHIFT4SHOP_PRIVATE_KEY}"',
      'token: "${SHIFT4SHOP_TOKEN}"',
    ],
    json: {
      url: 'https://apirest.3dcart.com/3dCartWebAPI/v1', secureUrl: 'https://yourstore.3dcartstores.com',
      privateKey: '${SHIFT4SHOP_PRIVATE_KEY}', token: '${SHIFT4SHOP_TOKEN}',
    },
  },
  magento2: {
    yaml: [
      '# The shop\'s base URL (requests go to <url>/rest/V1/…) and an integration access token.',
      'url: https://shop.example.com',
      'token: "${MAGENTO_TOKEN}"',
      '# Multi-Source Inventory: write source items of `sourceCode` (false: the legacy stock item API).',
      'msi: true',
      'sourceCode: default',
    ],
    json: { url: 'https://shop.example.com', token: '${MAGENTO_TOKEN}', msi: true, sourceCode: 'default' },
  },
  shopify: {
    yaml: [
      'url: https://your-shop.myshopify.com',
      '# An Admin API access token with read_products, read_inventory and write_inventory.',
      'accessToken: "${SHOPIFY_ACCESS_TOKEN}"',
      'apiVersion: "2026-10"',
      '# The location whose stock invsync sets (a bare number works too).',
      'locationId: "gid://shopify/Location/1234567890"',
    ],
    json: { url: 'https://your-shop.myshopify.com', accessToken: '${SHOPIFY_ACCESS_TOKEN}', apiVersion: '2026-10', locationId: 'gid://shopify/Location/1234567890' },
  },
  bigcommerce: {
    yaml: [
      'url: https://api.bigcommerce.com',
      '# From the API account: the store hash and an access token with Products and Inventory modify.',
      'storeHash: abc123',
      'accessToken: "${BIGCOMMERCE_ACCESS_TOKEN}"',
      'locationId: 1',
    ],
    json: { url: 'https://api.bigcommerce.com', storeHash: 'abc123', accessToken: '${BIGCOMMERCE_ACCESS_TOKEN}', locationId: 1 },
  },
  medusa: {
    yaml: [
      'url: https://medusa.example.com',
      '# An admin user, and the stock location whose levels invsync sets.',
      'email: admin@example.com',
      'password: "${MEDUSA_PASSWORD}"',
      'locationId: sloc_01EXAMPLE',
    ],
    json: { url: 'https://medusa.example.com', email: 'admin@example.com', password: '${MEDUSA_PASSWORD}', locationId: 'sloc_01EXAMPLE' },
  },
  vendure: {
    yaml: [
      '# The Admin API endpoint and an administrator with UpdateCatalog permission.',
      'url: https://shop.example.com/admin-api',
      'username: superadmin',
      'password: "${VENDURE_PASSWORD}"',
      '# stockLocationId: "1"',
    ],
    json: { url: 'https://shop.example.com/admin-api', username: 'superadmin', password: '${VENDURE_PASSWORD}' },
  },
  amazon: {
    yaml: [
      '# Your Seller Central merchant token and the marketplace whose merchant-fulfilled quantities invsync sets.',
      'sellerId: A1EXAMPLESELLER',
      'marketplaceId: ATVPDKIKX0DER',
      '# Login with Amazon credentials of your SP-API app (it needs the Product Listing role).',
      'clientId: "${AMAZON_CLIENT_ID}"',
      'clientSecret: "${AMAZON_CLIENT_SECRET}"',
      'refreshToken: "${AMAZON_REFRESH_TOKEN}"',
      '# na | eu | fe (picks the API host)',
      'region: na',
    ],
    json: {
      sellerId: 'A1EXAMPLESELLER', marketplaceId: 'ATVPDKIKX0DER', clientId: '${AMAZON_CLIENT_ID}',
      clientSecret: '${AMAZON_CLIENT_SECRET}', refreshToken: '${AMAZON_REFRESH_TOKEN}', region: 'na',
    },
  },
};

export type InitFormat = 'yaml' | 'json';

/** Default file names: both are found by the config search without `--config`. */
export const DEFAULT_FILE: Record<InitFormat, string> = { yaml: '.invsyncrc.yaml', json: 'invsync.config.json' };

/**
 * The starter configuration text for these source types (in order) and this store type.
 * Throws UsageError for an unknown type (naming the known ones).
 */
export function starterConfig(sourceTypes: string[], storeType: string, format: InitFormat): string {
  for (const t of sourceTypes) if (!SOURCES[t]) throw new UsageError(`--source: unknown type "${t}" (one of: ${SOURCE_TYPES.join(', ')})`);
  if (!STORES[storeType]) throw new UsageError(`--store: unknown type "${storeType}" (one of: ${STORE_TYPES.join(', ')})`);
  if (sourceTypes.length === 0) throw new UsageError('--source: give at least one source type');
  const used = new Map<string, number>();
  const sources = sourceTypes.map((type) => {
    const base = SOURCES[type]!.name ?? type;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { type, name: n === 1 ? base : `${base}${n}`, template: SOURCES[type]! };
  });
  const store = STORES[storeType]!;

  if (format === 'json') {
    const config = {
      stateDir: '.invsync',
      sources: sources.map((s) => ({ name: s.name, type: s.type, ...s.template.json })),
      store: { type: storeType, ...store.json },
      rules: { aggregate: 'sum', buffer: 0, maxQty: null, missing: 'keep', skuCaseSensitive: false },
      safety: { maxMissingRatio: 0.3, maxZeroRatio: 0.5, breaker: { consecutiveFailures: 3, maxErrorRatio: 0.2 } },
    };
    return `${JSON.stringify(config, null, 2)}\n`;
  }

  const indent = (lines: string[], pad: string) => lines.map((l) => `${pad}${l}`);
  const body = [
    '# Where invsync keeps its snapshot, database and lock (relative to this file).',
    'stateDir: .invsync',
    '',
    '# Supplier feeds, in priority order (`aggregate: priority` takes the first that lists a SKU).',
    'sources:',
    ...sources.flatMap((s) => [`  - name: ${s.name}`, `    type: ${s.type}`, ...indent(s.template.yaml, '    ')]),
    '',
    '# The store whose stock levels invsync keeps equal to what the suppliers can ship.',
    'store:',
    `  type: ${storeType}`,
    ...indent(store.yaml, '  '),
    // Amazon's pace is its usage plans (per operation), which the adapter keeps by itself.
    ...(storeType === 'amazon'
      ? ['  # The request rate follows Amazon\'s usage plans per operation; rateLimit and concurrency do not apply.']
      : ['  # Requests per second/minute, parallel requests, per-request timeout, retries:', '  # rateLimit: { perSecond: 5 }', '  # concurrency: 1']),
    '',
    'rules:',
    '  # A SKU offered by several sources: sum | min | max | priority.',
    '  aggregate: sum',
    '  # Safety stock subtracted from every quantity (never below 0), and an upper cap (null: none).',
    '  buffer: 0',
    '  maxQty: null',
    '  # Store SKUs that no feed lists: keep (leave them alone) or zero (set them to 0).',
    '  missing: keep',
    '  skuCaseSensitive: false',
    '',
    '# Before anything is written: stop (exit 4, nothing written) when more than this share of the',
    '# store\'s SKUs is in no feed, or would newly be set to 0. `--force` overrides once.',
    'safety:',
    '  maxMissingRatio: 0.3',
    '  maxZeroRatio: 0.5',
    '  breaker:',
    '    consecutiveFailures: 3',
    '    maxErrorRatio: 0.2',
    '',
    '# A JSON-lines log file besides stderr, rotated at maxSize, keeping maxFiles old files.',
    '# log:',
    '#   file: logs/invsync.log',
    '#   maxSize: 10MB',
    '#   maxFiles: 5',
    '',
    '# Tell someone when a run fails (README › Notifications).',
    '# notify:',
    '#   webhook: { url: "${INVSYNC_WEBHOOK_URL}", on: problems, format: slack }',
    '#   healthcheck: { url: "https://hc-ping.com/${HEALTHCHECK_UUID}" }',
    '',
    '# Prometheus metrics for node_exporter\'s textfile collector.',
    '# metrics:',
    '#   textfile: /var/lib/node_exporter/textfile_collector/invsync.prom',
    '',
    '# List the items a run sets to at or below this quantity (summary and notifications).',
    '# alerts:',
    '#   lowStock: 2',
  ];
  const env = envNames(body.filter((l) => !l.trimStart().startsWith('#')).join('\n'));
  return [
    `# invsync configuration (${sources.map((s) => s.type).join(' + ')} → ${storeType}), written by \`invsync init\`.`,
    '# Next: fill in the values below, then `invsync check` and `invsync full --dry-run`.',
    ...(env.length ? [
      '# Secrets are ${ENV} references, never literal values here. Set them where invsync runs',
      '# (shell profile, crontab, systemd EnvironmentFile):',
      `#   ${env.join(' ')}`,
    ] : []),
    '',
    ...body,
    '',
  ].join('\n');
}

/** `${NAME}` references in `text`, in order of first appearance. */
export function envNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))];
}

export function registerInitCommand(program: Command, _globals: () => GlobalOptions, exit: (code: number) => void): void {
  program.command('init')
    .description('write a commented starter config that validates (secrets as ${ENV} references)')
    .option('--source <types>', `source type(s), comma-separated: ${SOURCE_TYPES.join(', ')}`, 'csv')
    .option('--store <type>', `store type: ${STORE_TYPES.join(', ')}`, 'woocommerce')
    .addOption(new Option('--format <format>', 'yaml (commented; .invsyncrc.yaml) or json (invsync.config.json)').choices(['yaml', 'json']).default('yaml'))
    .option('-o, --output <file>', 'where to write it (default: .invsyncrc.yaml or invsync.config.json in the current directory)')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', '\nExamples:\n  $ invsync init --source csv --store woocommerce\n  $ invsync init --source dropshipzone,csv --store shopify --format json -o /etc/invsync/shop.json')
    .action((opts: { source: string; store: string; format: InitFormat; output?: string; force?: boolean }) => {
      try {
        writeStarter(opts);
        exit(EXIT.ok);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`invsync init: ${err.message}\n`);
        exit(EXIT.usage);
      }
    });
}

/** Write the starter file; refuses to overwrite without --force (UsageError). */
function writeStarter(opts: { source: string; store: string; format: InitFormat; output?: string; force?: boolean }): void {
  const text = starterConfig(opts.source.split(',').map((s) => s.trim()).filter(Boolean), opts.store, opts.format);
  const file = path.resolve(opts.output ?? DEFAULT_FILE[opts.format]);
  if (fs.existsSync(file) && !opts.force) {
    throw new UsageError(`${file} already exists: not overwritten (use --force to replace it)`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // The file will hold URLs and account names, and maybe a secret someone pastes in: owner only.
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  const others = Object.values(DEFAULT_FILE).concat(['.invsyncrc', '.invsyncrc.json', '.invsyncrc.yml', 'invsync.config.js'])
    .map((f) => path.join(path.dirname(file), f)).filter((f) => f !== file && fs.existsSync(f));
  const env = envNames(text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'));
  process.stderr.write([
    `Wrote ${file}.`,
    ...(others.length ? [`Note: ${others.join(', ')} also exist(s) here; the config search takes the first it finds — pass -c ${path.basename(file)} to be sure.`] : []),
    'Next:',
    '  1. fill in the values (URLs, account names, file paths)',
    ...(env.length ? [`  2. export ${env.map((e) => `${e}=…`).join(' ')}`] : []),
    `  ${env.length ? 3 : 2}. invsync check${opts.output ? ` -c ${file}` : ''}          # config, every source, store authentication (read-only)`,
    `  ${env.length ? 4 : 3}. invsync full --dry-run${opts.output ? ` -c ${file}` : ''}  # the diff, nothing written`,
    '',
  ].join('\n'));
}
