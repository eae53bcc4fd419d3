/**
 * Node-side {@link ChainStore}: the chain log as JSON Lines in `<dir>/chain.jsonl` (first line the
 * genesis, then one entry per line). Appends are synchronous so the log order is the commit order,
 * and a line torn by a crash is dropped on load (it was never acknowledged).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ChainGenesis, ChainLogEntry, ChainStore } from './provider.ts';

/** The default data directory of the local chain: `~/.tabmesh/chain`. */
export const defaultChainDir = () => join(homedir(), '.tabmesh', 'chain');

export function fileStore(dir: string): ChainStore {
  const file = join(dir, 'chain.jsonl');
  return {
    async load() {
      if (!existsSync(file)) return undefined;
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
      if (!lines.length) return undefined;
      const genesis = JSON.parse(lines[0] as string) as ChainGenesis;
      const entries: ChainLogEntry[] = [];
      for (let i = 1; i < lines.length; i++) {
        try {
          entries.push(JSON.parse(lines[i] as string) as ChainLogEntry);
        } catch (e) {
          if (i === lines.length - 1) {
            // A line torn by a crash was never acknowledged: drop it so later appends stay parseable.
            writeFileSync(file, lines.slice(0, i).join('\n') + '\n');
            break;
          }
          throw new Error(`${file}: line ${i + 1} is corrupt: ${(e as Error).message}`);
        }
      }
      return { genesis, entries };
    },
    async init(genesis) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, JSON.stringify(genesis) + '\n');
    },
    async append(entry) {
      appendFileSync(file, JSON.stringify(entry) + '\n');
    },
  };
}
