import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { runReceiptStoreCompliance, fakeStored } from './store.compliance.ts';
import { MemoryBackend, MemoryReceiptStore } from './store-memory.ts';
import { IdbReceiptStore, LEDGER_MIGRATIONS, type LedgerMigration } from './store-idb.ts';
import { testKey } from './testing.ts';

const backends = new Map<string, MemoryBackend>();
runReceiptStoreCompliance('memory', (name) => {
  let b = backends.get(name);
  if (!b) backends.set(name, (b = new MemoryBackend()));
  return new MemoryReceiptStore(b);
});
runReceiptStoreCompliance('indexeddb (fake-indexeddb)', (name) => new IdbReceiptStore({ dbName: name }));

describe('IdbReceiptStore schema versions', () => {
  const R = testKey('r').address, W = testKey('w').address;

  it('upgrades an existing database step by step and keeps its data', async () => {
    const dbName = `upgrade-${Date.now()}`;
    const v1 = new IdbReceiptStore({ dbName });
    await v1.open();
    const rec = fakeStored(R, W, 42n);
    await v1.writeReceipts([{ requester: R, worker: W, decide: () => ({ write: rec, value: 0 }) }]);
    await v1.close();
    const step2: LedgerMigration = (_db, tx) => {
      tx.objectStore('receipts').createIndex('byWorker', 'worker');
    };
    const v2 = new IdbReceiptStore({ dbName, migrations: [...LEDGER_MIGRATIONS, step2] });
    expect(v2.version).toBe(LEDGER_MIGRATIONS.length + 1);
    await v2.open();
    expect(await v2.getReceipt(R, W)).toEqual(rec);
    await v2.close();
    const raw = await openDB(dbName);
    expect(raw.version).toBe(2);
    expect([...raw.transaction('receipts').store.indexNames]).toContain('byWorker');
    raw.close();
  });

  it('refuses a database newer than the code with SchemaVersionError', async () => {
    const dbName = `newer-${Date.now()}`;
    const raw = await openDB(dbName, 7, { upgrade: (db) => void db.createObjectStore('x') });
    raw.close();
    const s = new IdbReceiptStore({ dbName });
    await expect(s.open()).rejects.toMatchObject({ name: 'SchemaVersionError', field: 'dbName' });
  });

  it('a failed migration leaves the old version intact (upgrade is all or nothing)', async () => {
    const dbName = `failing-${Date.now()}`;
    const v1 = new IdbReceiptStore({ dbName });
    await v1.open();
    await v1.writeReceipts([{ requester: R, worker: W, decide: () => ({ write: fakeStored(R, W, 7n), value: 0 }) }]);
    await v1.close();
    const bad: LedgerMigration = (db) => {
      db.createObjectStore('half-done');
      throw new Error('boom');
    };
    await expect(new IdbReceiptStore({ dbName, migrations: [...LEDGER_MIGRATIONS, bad] }).open()).rejects.toThrow();
    const again = new IdbReceiptStore({ dbName });
    await again.open();
    expect((await again.getReceipt(R, W))!.cumulativeAmount).toBe(7n);
    await again.close();
  });
});
