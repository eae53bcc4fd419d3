/**
 * Compiles `contracts/*.sol` (and the OpenZeppelin contracts the deployment uses directly) with
 * solc-js and writes `src/chain/artifacts/`:
 * - `<Name>.json`: `{ contractName, abi, bytecode, deployedBytecode }` for every deployable contract;
 * - `index.ts`: the same, as `as const` literals, so viem infers function and event types;
 * - `manifest.json`: solc version, settings, the input hash and the contract list.
 *
 * Node only (solc-js, fs): the browser imports the generated `index.ts` through `artifacts.ts`.
 * Recompiling is skipped when the input hash (sources, OpenZeppelin version, solc version,
 * settings, this generator's version) matches the manifest, so the npm pre-hooks cost ~100 ms.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the shape of the generated files changes, so old outputs are rebuilt. */
const GENERATOR_VERSION = 2;

/** EVM version: Cancun runs on every mainnet-like chain today and matches the embedded VM. */
export const EVM_VERSION = 'cancun';

/** OpenZeppelin contracts compiled alongside ours because the deployment uses them as they are. */
export const LIBRARY_SOURCES = ['@openzeppelin/contracts/governance/TimelockController.sol'] as const;

export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1_000 },
  evmVersion: EVM_VERSION,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

/** A solc error (or several) with the formatted compiler messages. */
export class ContractCompileError extends Error {
  override readonly name = 'ContractCompileError';
  constructor(readonly messages: string[]) {
    super(`solc failed:\n${messages.join('\n')}`);
  }
}

export interface CompiledContract {
  contractName: string;
  sourceName: string;
  abi: unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
}

export interface CompileOptions {
  /** Repository root (holds `contracts/` and `node_modules/`). Default: two levels above this file. */
  root?: string;
  /** Output folder. Default `<root>/src/chain/artifacts`. */
  outDir?: string;
  /** Recompile even when the input hash is unchanged. */
  force?: boolean;
  log?: (line: string) => void;
}

export interface CompileResult {
  /** false when the outputs were up to date and nothing ran. */
  compiled: boolean;
  hash: string;
  contracts: string[];
  outDir: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

const defaultRoot = () => resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Compiles when needed; throws {@link ContractCompileError} with solc's messages on failure. */
export async function compileContracts(options: CompileOptions = {}): Promise<CompileResult> {
  const root = options.root ?? defaultRoot();
  const outDir = options.outDir ?? join(root, 'src/chain/artifacts');
  const log = options.log ?? (() => {});
  const require = createRequire(join(root, 'package.json'));
  const contractsDir = join(root, 'contracts');
  const files = existsSync(contractsDir) ? readdirSync(contractsDir).filter((f) => f.endsWith('.sol')).sort() : [];
  const sources: Record<string, { content: string }> = {};
  for (const f of files) sources[`contracts/${f}`] = { content: readFileSync(join(contractsDir, f), 'utf8') };

  const resolveImport = (path: string): string => {
    if (path.startsWith('contracts/')) return join(root, path);
    return require.resolve(path);
  };
  for (const lib of LIBRARY_SOURCES) sources[lib] = { content: readFileSync(resolveImport(lib), 'utf8') };

  const solc = require('solc') as { version(): string; compile(input: string, cb: unknown): string };
  const ozVersion = (JSON.parse(readFileSync(require.resolve('@openzeppelin/contracts/package.json'), 'utf8')) as { version: string }).version;
  const hasher = createHash('sha256');
  hasher.update(JSON.stringify({ GENERATOR_VERSION, solc: solc.version(), oz: ozVersion, settings: SOLC_SETTINGS }));
  for (const [name, { content }] of Object.entries(sources)) hasher.update(`\0${name}\0${content}`);
  const hash = hasher.digest('hex');

  const manifestPath = join(outDir, 'manifest.json');
  if (!options.force && existsSync(manifestPath) && existsSync(join(outDir, 'index.ts'))) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { hash: string; contracts: string[] };
      if (m.hash === hash) {
        log(`contracts up to date (${m.contracts.length} artifacts)`);
        return { compiled: false, hash, contracts: m.contracts, outDir };
      }
    } catch {
      // unreadable manifest: rebuild
    }
  }

  const t0 = performance.now();
  const input = { language: 'Solidity', sources, settings: SOLC_SETTINGS };
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(resolveImport(path), 'utf8') };
    } catch {
      return { error: `import not found: ${path}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error').map((e) => e.formattedMessage);
  if (errors.length) throw new ContractCompileError(errors);
  // Warnings in our own sources are worth reading; OpenZeppelin's are not ours to fix.
  for (const w of out.errors ?? []) if (w.severity !== 'error' && !/--> @openzeppelin\//.test(w.formattedMessage)) log(w.formattedMessage);

  const compiled: CompiledContract[] = [];
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, c] of Object.entries(out.contracts?.[sourceName] ?? {})) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      compiled.push({ contractName, sourceName, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` });
    }
  }

  // Write into a fresh folder, then swap, so a crash never leaves a half-written artifact set.
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const c of compiled) writeFileSync(join(tmp, `${c.contractName}.json`), JSON.stringify(c, null, 1) + '\n');
  writeFileSync(join(tmp, 'index.ts'), renderIndex(compiled));
  const manifest = { hash, solc: solc.version(), openzeppelin: ozVersion, settings: SOLC_SETTINGS, contracts: compiled.map((c) => c.contractName) };
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  log(`compiled ${compiled.length} contracts with solc ${solc.version()} in ${(performance.now() - t0).toFixed(0)} ms`);
  for (const c of compiled) log(`  ${c.contractName}: runtime ${(c.deployedBytecode.length - 2) / 2} B`);
  return { compiled: true, hash, contracts: manifest.contracts, outDir };
}

const lowerFirst = (s: string) => s.replace(/^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]/, (m) => m.toLowerCase());

function renderIndex(contracts: CompiledContract[]): string {
  const lines = [
    '// Generated by src/chain/compile.ts (npm run build:contracts). Do not edit.',
    '/* eslint-disable */',
    '',
  ];
  for (const c of contracts) {
    const id = lowerFirst(c.contractName);
    lines.push(`export const ${id}Abi = ${JSON.stringify(c.abi)} as const;`);
    lines.push(
      `export const ${c.contractName} = { contractName: ${JSON.stringify(c.contractName)}, sourceName: ${JSON.stringify(c.sourceName)}, abi: ${id}Abi, bytecode: ${JSON.stringify(c.bytecode)} as \`0x\${string}\`, deployedBytecode: ${JSON.stringify(c.deployedBytecode)} as \`0x\${string}\` } as const;`,
      '',
    );
  }
  lines.push(`export const artifacts = { ${contracts.map((c) => c.contractName).join(', ')} } as const;`, '');
  return lines.join('\n');
}
