/**
 * `npm run build:contracts` (also postinstall and the pre-hook of typecheck/test:node/start/demo):
 * compiles contracts/*.sol into src/chain/artifacts/, or does nothing when they are up to date.
 * Flags: --force (recompile), --quiet.
 */
import { ContractCompileError, compileContracts } from '../src/chain/compile.ts';

const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
try {
  await compileContracts({ force, log: quiet ? () => {} : (l) => console.log(l) });
} catch (e) {
  if (e instanceof ContractCompileError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
