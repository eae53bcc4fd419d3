// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MeshToken} from "./MeshToken.sol";
import {Params} from "./Params.sol";

/**
 * @title Staking: per-operator bonded MESH, unbonding delay, equivocation slashing, voting power.
 * @notice Implements the "Staking", "Slashing" and (voting power of) "Governance" sections of
 * src/economy/RULES.md. An operator is a worker's claim-signing address; its stake belongs to one
 * staker (the first bonder). Voting units are bonded stake (never unbonding stake), credited to the
 * staker and checkpointed by OpenZeppelin {Votes} on a timestamp clock; a staker votes by
 * delegating (to itself or to anyone), as with any OZ votes token.
 *
 * Slashing happens only on provable equivocation: two claims signed by the operator over
 * `keccak256(abi.encodePacked("tabmesh/claim/1", jobId, uint32(unit), outputHash))` (no EIP-191
 * prefix, 65-byte r‖s‖v, low s, v ∈ {27,28}) with different output hashes for the same (jobId, unit).
 */
contract Staking is Votes {
    using SafeERC20 for IERC20;

    /// @dev One pending unbond: `amount` wei releasable at `releaseAt` (unix seconds).
    struct Unbond {
        uint192 amount;
        uint64 releaseAt;
    }

    /// @dev Per-operator state. Unbonding entries live in a FIFO `queue[head..tail)`, oldest first.
    struct Operator {
        address staker;
        uint64 head;
        uint64 tail;
        uint256 bonded;
        uint256 unbonding;
        mapping(uint64 => Unbond) queue;
    }

    /// @notice Most pending unbonding entries per operator: bounds the gas of a slash (which walks
    /// the entries oldest first) so a staker cannot make itself unslashable with many tiny unbonds.
    uint256 public constant MAX_UNBONDING_ENTRIES = 16;
    uint256 private constant BPS = 10_000;
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    MeshToken public immutable token;
    Params public immutable params;
    /// @notice Seconds between `unbond` and the moment the amount can be withdrawn.
    uint64 public immutable unbondingDelay;

    mapping(address operator => Operator) private _operators;
    /// @dev Bonded stake summed over the operators a staker stakes for: its voting units.
    mapping(address staker => uint256) private _stakeOf;
    /// @dev keccak256(operator, jobId, unit) => already slashed.
    mapping(bytes32 => bool) private _slashedUnit;

    uint256 public totalUnbonding;
    /// @notice Total wei ever slashed (reporter rewards + burned).
    uint256 public totalSlashed;
    /// @notice Total wei of slashed stake burned.
    uint256 public totalSlashBurned;

    event Bonded(address indexed operator, address indexed staker, uint256 amount, uint256 bonded);
    event UnbondRequested(address indexed operator, address indexed staker, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed operator, address indexed staker, uint256 amount);
    /// @param amount total slashed (reporter reward = amount - burned)
    event Slashed(
        address indexed operator,
        address indexed reporter,
        uint256 amount,
        uint256 burned,
        bytes32 indexed jobId,
        uint32 unit
    );

    error ZeroAmount();
    error ZeroOperator();
    error AmountTooLarge(uint256 amount);
    /// @notice `caller` is not the operator's staker `staker`.
    error NotStaker(address operator, address staker, address caller);
    error InsufficientBonded(address operator, uint256 bonded, uint256 requested);
    error TooManyUnbondingEntries(address operator, uint256 max);
    /// @notice Nothing released yet; `nextReleaseAt` is 0 when nothing is unbonding.
    error NothingToWithdraw(address operator, uint64 nextReleaseAt);
    error SameOutputHash(bytes32 outputHash);
    error AlreadySlashed(address operator, bytes32 jobId, uint32 unit);
    /// @dev `which` is 0 for signature A, 1 for signature B.
    error BadSignatureLength(uint8 which, uint256 length);
    error BadSignatureV(uint8 which, uint8 v);
    error HighS(uint8 which, bytes32 s);
    error WrongSigner(uint8 which, address recovered, address operator);
    error ZeroUnbondingDelay();

    constructor(MeshToken token_, Params params_, uint64 unbondingDelay_) EIP712("tabmesh-staking", "1") {
        if (unbondingDelay_ == 0) revert ZeroUnbondingDelay();
        token = token_;
        params = params_;
        unbondingDelay = unbondingDelay_;
    }

    // ---------------------------------------------------------------- clock (ERC-6372)

    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    // ---------------------------------------------------------------- staking

    /**
     * @notice Bonds `amount` MESH (pulled from the caller by transferFrom) for `operator`. The first
     * bonder of an operator becomes its staker, for good (even when its stake falls to 0);
     * a bond by any other account reverts NotStaker.
     */
    function bond(address operator, uint256 amount) external {
        if (operator == address(0)) revert ZeroOperator();
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint192).max) revert AmountTooLarge(amount);
        Operator storage op = _operators[operator];
        address staker = op.staker;
        if (staker == address(0)) {
            staker = msg.sender;
            op.staker = staker;
        } else if (staker != msg.sender) {
            revert NotStaker(operator, staker, msg.sender);
        }
        op.bonded += amount;
        _stakeOf[staker] += amount;
        _transferVotingUnits(address(0), staker, amount);
        emit Bonded(operator, staker, amount, op.bonded);
        IERC20(address(token)).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of `operator`'s bonded stake to unbonding, releasable at now + unbondingDelay.
    function unbond(address operator, uint256 amount) external {
        Operator storage op = _operators[operator];
        address staker = op.staker;
        if (staker != msg.sender) revert NotStaker(operator, staker, msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 b = op.bonded;
        if (amount > b) revert InsufficientBonded(operator, b, amount);
        uint64 releaseAt = uint64(block.timestamp) + unbondingDelay;
        uint64 tail = op.tail;
        if (tail > op.head && op.queue[tail - 1].releaseAt == releaseAt) {
            op.queue[tail - 1].amount += uint192(amount);
        } else {
            if (tail - op.head >= MAX_UNBONDING_ENTRIES) revert TooManyUnbondingEntries(operator, MAX_UNBONDING_ENTRIES);
            op.queue[tail] = Unbond(uint192(amount), releaseAt);
            op.tail = tail + 1;
        }
        op.bonded = b - amount;
        op.unbonding += amount;
        totalUnbonding += amount;
        _stakeOf[staker] -= amount;
        _transferVotingUnits(staker, address(0), amount);
        emit UnbondRequested(operator, staker, amount, releaseAt);
    }

    /// @notice Pays the staker every unbonding entry of `operator` whose release time has come.
    /// Anyone may call it; the money always goes to the staker.
    function withdrawUnbonded(address operator) external {
        Operator storage op = _operators[operator];
        address staker = op.staker;
        uint64 head = op.head;
        uint64 tail = op.tail;
        uint256 amount;
        while (head < tail) {
            Unbond memory e = op.queue[head];
            if (e.releaseAt > block.timestamp) break;
            amount += e.amount;
            delete op.queue[head];
            unchecked {
                ++head;
            }
        }
        if (amount == 0) revert NothingToWithdraw(operator, head < tail ? op.queue[head].releaseAt : 0);
        op.head = head;
        op.unbonding -= amount;
        totalUnbonding -= amount;
        emit Withdrawn(operator, staker, amount);
        IERC20(address(token)).safeTransfer(staker, amount);
    }

    // ---------------------------------------------------------------- slashing

    /**
     * @notice Slashes `operator` for signing two different output hashes for the same (jobId, unit).
     * Slashed = (bonded + unbonding) * slashBps / 10000, from bonded first, then unbonding oldest
     * first; reporterBps of it goes to the caller, the rest is burned. Once per (operator, jobId, unit);
     * an operator with no stake is slashed 0 and the offence is recorded all the same.
     */
    function reportEquivocation(
        address operator,
        bytes32 jobId,
        uint32 unit,
        bytes32 hashA,
        bytes calldata sigA,
        bytes32 hashB,
        bytes calldata sigB
    ) external {
        if (hashA == hashB) revert SameOutputHash(hashA);
        bytes32 key = keccak256(abi.encode(operator, jobId, unit));
        if (_slashedUnit[key]) revert AlreadySlashed(operator, jobId, unit);
        _checkClaim(0, operator, jobId, unit, hashA, sigA);
        _checkClaim(1, operator, jobId, unit, hashB, sigB);

        _slashedUnit[key] = true;
        (uint256 slashed, uint256 burned) = _slash(operator);
        emit Slashed(operator, msg.sender, slashed, burned, jobId, unit);
        if (slashed > burned) IERC20(address(token)).safeTransfer(msg.sender, slashed - burned);
        if (burned > 0) token.burn(burned);
    }

    /// @dev Takes the slash out of `operator`'s stake (bonded first, then unbonding oldest first)
    /// and books it; returns the total slashed and the part to burn. Tokens move in the caller.
    function _slash(address operator) private returns (uint256 slashed, uint256 burned) {
        Operator storage op = _operators[operator];
        uint256 b = op.bonded;
        slashed = ((b + op.unbonding) * params.slashBps()) / BPS;
        if (slashed == 0) return (0, 0); // no stake: the offence is still recorded (RULES.md)

        uint256 fromBonded = slashed < b ? slashed : b;
        if (fromBonded > 0) {
            address staker = op.staker;
            op.bonded = b - fromBonded;
            _stakeOf[staker] -= fromBonded;
            _transferVotingUnits(staker, address(0), fromBonded);
        }
        uint256 rest = slashed - fromBonded;
        if (rest > 0) {
            op.unbonding -= rest;
            totalUnbonding -= rest;
            uint64 head = op.head;
            while (rest > 0) {
                Unbond storage e = op.queue[head];
                uint256 a = e.amount;
                if (a <= rest) {
                    rest -= a;
                    delete op.queue[head];
                    unchecked {
                        ++head;
                    }
                } else {
                    e.amount = uint192(a - rest);
                    rest = 0;
                }
            }
            op.head = head;
        }

        burned = slashed - (slashed * params.reporterBps()) / BPS;
        totalSlashed += slashed;
        totalSlashBurned += burned;
    }

    /// @notice The digest a worker signs for a claim (same bytes as src/jobs/claim.ts `claimDigest`).
    function claimDigest(bytes32 jobId, uint32 unit, bytes32 outputHash) public pure returns (bytes32) {
        return keccak256(abi.encodePacked("tabmesh/claim/1", jobId, unit, outputHash));
    }

    function _checkClaim(
        uint8 which,
        address operator,
        bytes32 jobId,
        uint32 unit,
        bytes32 outputHash,
        bytes calldata sig
    ) private pure {
        if (sig.length != 65) revert BadSignatureLength(which, sig.length);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v != 27 && v != 28) revert BadSignatureV(which, v);
        if (uint256(s) > HALF_N) revert HighS(which, s);
        address signer = ecrecover(claimDigest(jobId, unit, outputHash), v, r, s);
        if (signer == address(0) || signer != operator) revert WrongSigner(which, signer, operator);
    }

    // ---------------------------------------------------------------- views

    /// @notice Bonded stake of all operators: the voting units' total, which {Votes} checkpoints
    /// anyway (every bonded wei is a voting unit and nothing else is), so it is not stored twice.
    function totalBonded() external view returns (uint256) {
        return _getTotalSupply();
    }

    function stakerOf(address operator) external view returns (address) {
        return _operators[operator].staker;
    }

    function bonded(address operator) external view returns (uint256) {
        return _operators[operator].bonded;
    }

    /// @notice Total still unbonding (released or not, until withdrawn); slashable.
    function unbonding(address operator) external view returns (uint256) {
        return _operators[operator].unbonding;
    }

    /// @notice Amount of `operator`'s unbonding stake already released (withdrawable now).
    function withdrawable(address operator) external view returns (uint256 amount) {
        Operator storage op = _operators[operator];
        uint64 tail = op.tail;
        for (uint64 i = op.head; i < tail; ++i) {
            Unbond memory e = op.queue[i];
            if (e.releaseAt > block.timestamp) break;
            amount += e.amount;
        }
    }

    /// @notice Pending unbonding entries of `operator`, oldest first.
    function unbondingEntries(address operator)
        external
        view
        returns (uint256[] memory amounts, uint64[] memory releaseAts)
    {
        Operator storage op = _operators[operator];
        uint64 head = op.head;
        uint256 n = op.tail - head;
        amounts = new uint256[](n);
        releaseAts = new uint64[](n);
        for (uint256 i = 0; i < n; ++i) {
            Unbond memory e = op.queue[head + uint64(i)];
            amounts[i] = e.amount;
            releaseAts[i] = e.releaseAt;
        }
    }

    /// @notice The scheduler's test: bonded stake (not unbonding) at least params.minStake().
    function isEligible(address operator) external view returns (bool) {
        return _operators[operator].bonded >= params.minStake();
    }

    /// @notice Bonded stake of `staker` summed over its operators (its voting units, delegated or not).
    function stakeOf(address staker) external view returns (uint256) {
        return _stakeOf[staker];
    }

    function isSlashed(address operator, bytes32 jobId, uint32 unit) external view returns (bool) {
        return _slashedUnit[keccak256(abi.encode(operator, jobId, unit))];
    }

    function _getVotingUnits(address account) internal view override returns (uint256) {
        return _stakeOf[account];
    }
}
