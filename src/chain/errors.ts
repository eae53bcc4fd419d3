/**
 * Errors of the chain layer, with stable `name`s callers can switch on.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from 'viem';

/** A contract call reverted; `errorName`/`args` are the decoded custom error when the ABI knows it. */
export class ContractRevertError extends Error {
  override readonly name = 'ContractRevertError';
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    readonly data: Hex | undefined,
    options?: { cause?: unknown },
  ) {
    super(`reverted: ${errorName}(${args.map(String).join(', ')})`, options);
  }
}

/** A deployment file or configuration does not match the chain it points at. */
export class ChainConfigError extends Error {
  override readonly name = 'ChainConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * The custom error inside a viem error (from simulateContract, writeContract, readContract or
 * estimateGas), or undefined when `e` is not a revert.
 */
export function decodeRevert(e: unknown, abi?: Abi): ContractRevertError | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (reverted) {
    if (reverted.data) return new ContractRevertError(reverted.data.errorName, reverted.data.args ?? [], reverted.raw, { cause: e });
    if (reverted.raw && abi) {
      try {
        const d = decodeErrorResult({ abi, data: reverted.raw });
        return new ContractRevertError(d.errorName, (d.args ?? []) as readonly unknown[], reverted.raw, { cause: e });
      } catch {
        // fall through
      }
    }
    return new ContractRevertError(reverted.signature ?? reverted.reason ?? '(unknown)', [], reverted.raw, { cause: e });
  }
  const withData = e.walk((x) => typeof (x as { data?: unknown }).data === 'string') as { data?: Hex } | null;
  if (withData?.data && abi) {
    try {
      const d = decodeErrorResult({ abi, data: withData.data });
      return new ContractRevertError(d.errorName, (d.args ?? []) as readonly unknown[], withData.data, { cause: e });
    } catch {
      return undefined;
    }
  }
  return undefined;
}
