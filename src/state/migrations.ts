import type { Db } from './db.js';

/**
 * Versioned schema. Each entry moves the database from version i to i+1 (PRAGMA user_version);
 * migrations only ever move forward and run in one transaction each.
 */
/** A migration is SQL, or a function for one that depends on what the database holds (per-store tables). */
export type Migration = string | ((db: Db) => void);

export const MIGRATIONS: Migration[] = [
  // 1: store index, runs, plans, plan items (the push journal's per-item state), batch journal.
  `
  CREATE TABLE store_items (
    ord          INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL,
    product_id   TEXT NOT NULL,   -- JSON-encoded id (number or string)
    variation_id TEXT,            -- JSON-encoded id, NULL for simple products
    qty          INTEGER,         -- NULL when the store does not manage the item's stock
    managed      INTEGER NOT NULL,
    name         TEXT,
    ref          TEXT             -- JSON: adapter-specific write ids
  );
  CREATE INDEX store_items_sku ON store_items (sku);
  CREATE INDEX store_items_ids ON store_items (product_id, variation_id);
  CREATE TABLE index_meta (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    generation   INTEGER NOT NULL,
    refreshed_at TEXT NOT NULL,
    item_count   INTEGER NOT NULL,
    store        TEXT NOT NULL
  );
  CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    command     TEXT NOT NULL,
    dry_run     INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,   -- running | ok | partial | blocked | failed | locked
    exit_code   INTEGER,
    pid         INTEGER,
    summary     TEXT             -- JSON RunSummary
  );
  CREATE TABLE plans (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    status            TEXT NOT NULL,   -- pending | applied | partial | blocked | superseded | empty
    snapshot_checksum TEXT NOT NULL,
    index_generation  INTEGER NOT NULL,
    config_checksum   TEXT NOT NULL,
    window_offset     INTEGER,
    window_limit      INTEGER,
    match_summary     TEXT NOT NULL    -- JSON: counts, safety and errors of the match
  );
  CREATE TABLE plan_items (
    plan_id        INTEGER NOT NULL REFERENCES plans(id),
    seq            INTEGER NOT NULL,
    sku            TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    variation_id   TEXT,
    from_qty       INTEGER,
    to_qty         INTEGER NOT NULL,
    ref            TEXT,
    reason         TEXT,
    status         TEXT NOT NULL,    -- planned | sent | applied | failed
    error          TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    applied_run_id TEXT,
    PRIMARY KEY (plan_id, seq)
  );
  CREATE INDEX plan_items_status ON plan_items (plan_id, status);
  CREATE TABLE journal (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id  INTEGER NOT NULL,
    run_id   TEXT NOT NULL,
    batch    TEXT NOT NULL,       -- batch key and first..last seq
    event    TEXT NOT NULL,       -- sent | done | error
    items    INTEGER NOT NULL,
    failed   INTEGER NOT NULL DEFAULT 0,
    at       TEXT NOT NULL,
    detail   TEXT
  );
  `,
  // 2: per-source fetch history (shrink gate, feed health, "last successful fetch per source").
  `
  CREATE TABLE source_fetches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     TEXT NOT NULL,
    source     TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    items      INTEGER NOT NULL,
    rejected   INTEGER NOT NULL
  );
  CREATE INDEX source_fetches_source ON source_fetches (source, id);
  `,
  // 3: the product name with each planned change, for readable diffs of stored plans.
  `
  ALTER TABLE plan_items ADD COLUMN name TEXT;
  `,
  // 4: plans are read by (plan_id, seq); a status index only slowed million-item plans down.
  `
  DROP INDEX IF EXISTS plan_items_status;
  `,
  // 5: the id of the fetch that wrote the store index; the snapshot header carries the same id,
  // so match can refuse a snapshot and an index that do not come from one fetch (SPEC §8).
  // Indexes written before this stay NULL: match refuses them until the next fetch.
  `
  ALTER TABLE index_meta ADD COLUMN fetch_id TEXT;
  `,
  // 6: the ledger source (SPEC §11). Applied movements and counts, keyed so each is recorded once;
  // what a fetch read waits in the staged tables (tagged with the fetch's id) until that fetch
  // commits; the digests of inputs read cleanly let an unchanged file be skipped.
  `
  CREATE TABLE ledger_movements (
    source     TEXT NOT NULL,
    input      TEXT NOT NULL,
    id         TEXT NOT NULL,
    digest     TEXT NOT NULL,     -- sku, delta and the row's own date (see movementDigest)
    sku        TEXT NOT NULL,
    delta      INTEGER NOT NULL,  -- signed effect on the balance
    at         INTEGER NOT NULL,  -- movement time, ms since the epoch
    file       TEXT,              -- file or URL it was first read from, and the line
    row        INTEGER,
    fetch_id   TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (source, input, id)
  ) WITHOUT ROWID;
  CREATE INDEX ledger_movements_sku ON ledger_movements (source, sku, at);
  CREATE INDEX ledger_movements_applied ON ledger_movements (applied_at);
  CREATE TABLE ledger_counts (
    source     TEXT NOT NULL,
    sku        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    qty        INTEGER NOT NULL,
    file       TEXT,
    row        INTEGER,
    fetch_id   TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (source, sku, at)
  ) WITHOUT ROWID;
  CREATE TABLE ledger_inputs (
    source  TEXT NOT NULL,
    input   TEXT NOT NULL,
    file    TEXT NOT NULL,
    digest  TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (source, input, file)
  ) WITHOUT ROWID;
  -- Staged rows are appended as read (no index to maintain), then classified in bulk:
  -- status 0 new, 1 already applied or read earlier in this fetch, 2 a conflict (first_seq:
  -- the row read first in this fetch, when that is what it conflicts with).
  CREATE TABLE ledger_staged (
    seq       INTEGER PRIMARY KEY,
    fetch_id  TEXT NOT NULL,
    source    TEXT NOT NULL,
    input     TEXT NOT NULL,
    id        TEXT NOT NULL,
    digest    TEXT NOT NULL,
    sku       TEXT NOT NULL,
    delta     INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    file      TEXT,
    row       INTEGER,
    status    INTEGER NOT NULL DEFAULT 0,
    first_seq INTEGER
  );
  CREATE TABLE ledger_staged_counts (
    seq       INTEGER PRIMARY KEY,
    fetch_id  TEXT NOT NULL,
    source    TEXT NOT NULL,
    sku       TEXT NOT NULL,
    at        INTEGER NOT NULL,
    qty       INTEGER NOT NULL,
    file      TEXT,
    row       INTEGER,
    status    INTEGER NOT NULL DEFAULT 0,
    first_seq INTEGER
  );
  CREATE TABLE ledger_staged_inputs (
    fetch_id TEXT NOT NULL,
    source   TEXT NOT NULL,
    input    TEXT NOT NULL,
    file     TEXT NOT NULL,
    digest   TEXT NOT NULL,
    PRIMARY KEY (fetch_id, source, input, file)
  ) WITHOUT ROWID;
  CREATE TABLE ledger_out (
    fetch_id  TEXT NOT NULL,
    source    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    sku       TEXT NOT NULL,
    balance   INTEGER NOT NULL,
    PRIMARY KEY (fetch_id, source, seq)
  ) WITHOUT ROWID;
  `,
  // 7: a store item invsync indexes but never writes, with the reason reported (SPEC §10: Amazon
  // listings fulfilled by Amazon). NULL for every other item.
  `
  ALTER TABLE store_items ADD COLUMN not_written TEXT;
  `,
  // 8: batches a store accepted for later processing (Amazon feeds), by the store's id for them.
  // Journaled the moment the store answers, so a push killed afterwards asks about the submission
  // instead of submitting again; settled_at is set once its outcome is journaled.
  `
  CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      INTEGER NOT NULL REFERENCES plans(id),
    run_id       TEXT NOT NULL,
    batch        TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    seqs         TEXT NOT NULL,   -- JSON array of the plan items' seqs
    submitted_at TEXT NOT NULL,
    settled_at   TEXT
  );
  CREATE INDEX submissions_unsettled ON submissions (settled_at);
  `,
  // 9: open orders (SPEC §12). A fetch with `rules.openOrders: "subtract"` appends the open order
  // lines it reads to open_orders_staged (tagged with its id); its commit, in the index swap's
  // transaction, replaces open_orders (summed per item) and says in open_orders_meta which fetch
  // read them and from when, so match never subtracts orders read by another fetch, or none.
  `
  CREATE TABLE open_orders_staged (
    seq          INTEGER PRIMARY KEY,
    fetch_id     TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    product_id   TEXT NOT NULL,   -- JSON-encoded id, as in store_items
    variation_id TEXT,
    sku          TEXT NOT NULL,   -- the SKU on the order line
    qty          INTEGER NOT NULL
  );
  CREATE TABLE open_orders (
    product_id   TEXT NOT NULL,
    variation_id TEXT,
    sku          TEXT NOT NULL,
    qty          INTEGER NOT NULL,
    lines        INTEGER NOT NULL,
    orders       INTEGER NOT NULL
  );
  CREATE TABLE open_orders_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    fetch_id TEXT NOT NULL,
    since    TEXT NOT NULL,
    lines    INTEGER NOT NULL,
    units    INTEGER NOT NULL
  );
  `,
  // 10: many stores from one fetch (SPEC §9). Each configured store has a slot: its index lives in
  // `store_items` (slot 1, the store named "store": what single-store state always was) or
  // `store_items_<slot>`, its meta in index_meta (id = slot, no longer only 1); plans say which
  // store they are for; run_stores says which stores a run worked on. Existing state becomes the
  // store named "store" and keeps working.
  `
  CREATE TABLE store_slots (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );
  INSERT INTO store_slots (id, name) VALUES (1, 'store');
  CREATE TABLE index_meta_v7 (
    id           INTEGER PRIMARY KEY,   -- the store's slot (store_slots.id)
    generation   INTEGER NOT NULL,
    refreshed_at TEXT NOT NULL,
    item_count   INTEGER NOT NULL,
    store        TEXT NOT NULL,         -- the store's type
    fetch_id     TEXT
  );
  INSERT INTO index_meta_v7 (id, generation, refreshed_at, item_count, store, fetch_id)
    SELECT id, generation, refreshed_at, item_count, store, fetch_id FROM index_meta;
  DROP TABLE index_meta;
  ALTER TABLE index_meta_v7 RENAME TO index_meta;
  ALTER TABLE plans ADD COLUMN store TEXT NOT NULL DEFAULT 'store';
  CREATE INDEX plans_store_status ON plans (store, status);
  CREATE TABLE run_stores (
    run_id TEXT NOT NULL,
    store  TEXT NOT NULL,
    PRIMARY KEY (run_id, store)
  ) WITHOUT ROWID;
  CREATE INDEX run_stores_store ON run_stores (store);
  INSERT INTO run_stores (run_id, store) SELECT id, 'store' FROM runs;
  `,
  // 11: price sync (SPEC §14 `prices`). The store index keeps each item's current price (NULL: the
  // listing did not report prices; '': the item has none; else two decimals, "12.99"); a plan item
  // keeps its price write (price_to NULL: none; price_from NULL: the item had no price). The other
  // stores' index tables (store_items_<slot>) get the column when their next fetch recreates them;
  // until then they read as "no prices reported" (store-index.ts checks for the column).
  `
  ALTER TABLE store_items ADD COLUMN price TEXT;
  ALTER TABLE plan_items ADD COLUMN price_from TEXT;
  ALTER TABLE plan_items ADD COLUMN price_to TEXT;
  `,
  // 12: SPEC §14 `rules.status`. Every store index (store_items and store_items_<slot>) keeps each
  // item's visibility (JSON ItemVisibility, NULL when the store does not say); a plan item keeps its
  // status action (JSON StatusAction); status_hidden remembers, per store, exactly which items
  // invsync itself hid or marked out of stock and the values it replaced (what restore puts back),
  // and since when a run first saw the item back in stock (the grace period counts from there).
  (db: Db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name = 'store_items' OR name GLOB 'store_items_[0-9]*')").pluck().all() as string[];
    for (const table of tables) db.exec(`ALTER TABLE ${table} ADD COLUMN visibility TEXT`);
    db.exec(`
    ALTER TABLE plan_items ADD COLUMN status_action TEXT;
    CREATE TABLE status_hidden (
      store        TEXT NOT NULL,
      product_id   TEXT NOT NULL,   -- JSON-encoded id, as in store_items
      variation_id TEXT NOT NULL,   -- JSON-encoded id, '' for a simple product (a key column is never NULL)
      sku          TEXT NOT NULL,
      action       TEXT NOT NULL,   -- 'hide' | 'outofstock'
      replaced     TEXT NOT NULL,   -- JSON: the store's values before invsync's first write
      run_id       TEXT NOT NULL,
      at           TEXT NOT NULL,
      back_since   TEXT,            -- ISO time of the first run that saw the item back in stock
      PRIMARY KEY (store, product_id, variation_id)
    ) WITHOUT ROWID;
    `);
  },
  // 13: open orders per store (SPEC §12 with several stores, §9): every store's open orders are
  // kept apart, each with the fetch that read them, so one store's match can subtract the others'
  // and refuse any read by another fetch. Existing rows belong to the store named "store".
  `
  ALTER TABLE open_orders_staged ADD COLUMN store TEXT NOT NULL DEFAULT 'store';
  ALTER TABLE open_orders ADD COLUMN store TEXT NOT NULL DEFAULT 'store';
  CREATE TABLE open_orders_meta_v13 (
    store    TEXT PRIMARY KEY,
    fetch_id TEXT NOT NULL,
    since    TEXT NOT NULL,
    lines    INTEGER NOT NULL,
    units    INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO open_orders_meta_v13 (store, fetch_id, since, lines, units)
    SELECT 'store', fetch_id, since, lines, units FROM open_orders_meta;
  DROP TABLE open_orders_meta;
  ALTER TABLE open_orders_meta_v13 RENAME TO open_orders_meta;
  CREATE INDEX open_orders_store ON open_orders (store);
  `,
];
