/**
 * Schema migrations 11 (prices) and 12 (rules.status): a database left at 11 by a build with
 * price sync moves to 12 keeping its prices, every existing store index table (store_items and a
 * per-store store_items_<slot>) gets `visibility`, then 13 keeps open orders per store; a fresh
 * database runs every migration.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from '@jest/globals';
import { migrate } from '../../src/state/db.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { iterateStoreItems } from '../../src/state/store-index.js';

const columns = (db: Database.Database, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

describe('migrations 11 (prices) and 12 (rules.status)', () => {
  it('a database at version 11 with prices migrates to 12: prices kept, visibility on every index table, status tables added', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS.slice(0, 11)) {
      if (typeof m !== 'string') throw new Error('migrations up to 11 are SQL');
      db.exec(m);
    }
    db.pragma('user_version = 11');
    // A second store's index as a version-11 build created it at run time (price, no visibility).
    db.exec("INSERT INTO store_slots (id, name) VALUES (2, 'web')");
    db.exec(`CREATE TABLE store_items_2 (ord INTEGER PRIMARY KEY, sku TEXT NOT NULL, product_id TEXT NOT NULL, variation_id TEXT,
      qty INTEGER, managed INTEGER NOT NULL, name TEXT, ref TEXT, not_written TEXT, price TEXT)`);
    db.exec("INSERT INTO store_items (ord, sku, product_id, variation_id, qty, managed, name, ref, price) VALUES (0, 'A', '1', NULL, 3, 1, NULL, NULL, '12.99')");
    db.exec("INSERT INTO store_items_2 (ord, sku, product_id, variation_id, qty, managed, price) VALUES (0, 'B', '2', NULL, 4, 1, '')");

    migrate(db);

    // Through 12 (rules.status) and on to 13 (open orders per store).
    expect(db.pragma('user_version', { simple: true })).toBe(13);
    expect(columns(db, 'store_items')).toEqual(expect.arrayContaining(['price', 'visibility']));
    expect(columns(db, 'store_items_2')).toEqual(expect.arrayContaining(['price', 'visibility']));
    expect(columns(db, 'plan_items')).toEqual(expect.arrayContaining(['price_from', 'price_to', 'status_action']));
    expect(columns(db, 'status_hidden')).toContain('replaced');
    expect([...iterateStoreItems(db)].map((i) => [i.sku, i.price, i.visibility])).toEqual([['A', '12.99', undefined]]);
    expect([...iterateStoreItems(db, { store: 'web' })].map((i) => [i.sku, i.price, i.visibility])).toEqual([['B', null, undefined]]);
  });

  it('a fresh database runs every migration, SQL and function alike', () => {
    const db = new Database(':memory:');
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBe(13);
    expect(columns(db, 'open_orders')).toContain('store');
    expect(columns(db, 'store_items')).toEqual(expect.arrayContaining(['not_written', 'price', 'visibility']));
    expect(columns(db, 'plan_items')).toEqual(expect.arrayContaining(['price_from', 'price_to', 'status_action']));
  });
});
