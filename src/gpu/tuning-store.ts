/**
 * Autotune results kept in IndexedDB, so a contributor's browser measures its GPU once, not on
 * every visit. Works in Workers as well as pages.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { BenchmarkScore, TuningStore } from './autotune.ts';

const DB_NAME = 'tabmesh-gpu';
const STORE = 'tuning';

/**
 * @example
 * const score = await autotune(rt, { store: new IndexedDbTuningStore() });
 */
export class IndexedDbTuningStore implements TuningStore {
  readonly #name: string;
  #db: Promise<IDBPDatabase> | null = null;

  /** @param name database name (tests use a fresh one each) */
  constructor(name = DB_NAME) {
    this.#name = name;
  }

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.#name, 1, {
      upgrade(db) {
        db.createObjectStore(STORE);
      },
    });
    return this.#db;
  }

  /** A missing or unreadable entry reads as undefined: the caller then measures again. */
  async get(key: string): Promise<BenchmarkScore | undefined> {
    try {
      const v: unknown = await (await this.#open()).get(STORE, key);
      return v && typeof v === 'object' ? (v as BenchmarkScore) : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: BenchmarkScore): Promise<void> {
    await (await this.#open()).put(STORE, value, key);
  }

  close(): void {
    void this.#db?.then((db) => db.close());
    this.#db = null;
  }
}
