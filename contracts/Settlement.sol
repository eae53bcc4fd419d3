// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {MeshToken} from "./MeshToken.sol";
import {Params} from "./Params.sol";

/// @title Escrow, receipt settlement, per-epoch anchoring and emission for tabmesh
/// @notice Implements src/ledger/RECEIPTS.md and src/economy/RULES.md:
/// - requesters escrow MESH (`deposit`) and leave with a delay (`requestWithdrawal` → `withdraw`);
///   escrow keeps settling receipts during the delay;
/// - `settleBatch` pays cumulative EIP-712 receipts signed by requesters (low-s only), each fee split
///   by `_splitFee` into burn, treasury and worker shares, and records per-epoch work and burn;
/// - every batch's Merkle root (leaves = receipt digests) joins its epoch; `anchor(e)` fixes each
///   ended epoch's root, in order;
/// - emission: `closeEpoch` fixes an epoch's budget (committed, so claims never break the cap),
///   `claimEmission` mints a worker's share, `finalizeEpoch` releases what was not claimed.
/// Every revert is a custom error; those about a receipt carry its index in the batch.
contract Settlement {
    struct Receipt {
        address requester;
        address worker;
        uint256 cumulativeAmount;
        uint256 cumulativeWork;
    }

    /// One slot per requester: the escrow and its pending withdrawal.
    struct Escrow {
        uint128 balance;
        uint96 pendingWithdrawal;
        uint32 unlockAt;
    }

    /// One slot per (requester, worker): what is settled so far.
    struct Pair {
        uint128 amount;
        uint128 work;
    }

    /// One slot per (epoch, worker): work and burn settled in that epoch, and the claim flag.
    struct WorkerEpoch {
        uint128 work;
        uint120 burnPaid;
        bool claimed;
    }

    /// Per epoch: total work settled, and the emission budget once closed.
    struct EpochTotals {
        uint128 totalWork;
        uint128 budget;
    }

    /// Per epoch: emission claimed so far, and whether the rest was released.
    struct EpochClaims {
        uint128 claimed;
        bool finalized;
    }

    /// What `epochInfo` returns.
    struct EpochView {
        uint256 totalWork;
        uint256 budget;
        uint256 claimed;
        bool closed;
        bool finalized;
        uint256 batches;
        bytes32 root;
        bool anchored;
    }

    /// Batch-wide values kept in memory (the stack is too small for them all).
    struct Batch {
        uint256 epoch;
        uint256 burnBps;
        uint256 treasuryBps;
        uint256 minPrice;
        uint256 maxPrice;
        bytes32 domain;
        address runRequester; // escrow debits are aggregated over runs of one requester
        uint256 runBalance;
        uint256 runDebit;
        uint256 amount;
        uint256 work;
        uint256 burned;
        uint256 toTreasury;
    }

    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address requester,address worker,uint256 cumulativeAmount,uint256 cumulativeWork)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("tabmesh");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 n / 2: a signature with a larger s is the malleable twin of a low-s one (EIP-2).
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// Emission schedule (RULES.md "Emission").
    uint256 public constant E0 = 1_164_383 ether;
    uint256 public constant HALVING_EPOCHS = 365;

    MeshToken public immutable token;
    Params public immutable params;
    address public immutable treasury;
    uint256 public immutable genesisTime;
    uint256 public immutable epochSeconds;
    uint256 public immutable withdrawalDelay;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cap;

    mapping(address requester => Escrow) private _escrows;
    mapping(address requester => mapping(address worker => Pair)) private _pairs;
    mapping(uint256 epoch => mapping(address worker => WorkerEpoch)) private _workerEpochs;
    mapping(uint256 epoch => EpochTotals) private _epochTotals;
    mapping(uint256 epoch => EpochClaims) private _epochClaims;
    mapping(uint256 epoch => bytes32[]) private _batchRoots;
    mapping(uint256 epoch => bytes32) public epochRoot;

    /// The next epoch `anchor` accepts.
    uint256 public nextAnchorEpoch;
    /// The next epoch to close (every earlier one is closed).
    uint256 public nextCloseEpoch;
    /// Budget of closed epochs not yet claimed nor released.
    uint256 public committed;

    event Deposited(address indexed requester, uint256 amount, uint256 balance);
    event WithdrawalRequested(address indexed requester, uint256 amount, uint256 unlockAt);
    event Withdrawn(address indexed requester, uint256 amount, uint256 balance);
    event ReceiptSettled(
        address indexed requester,
        address indexed worker,
        bytes32 digest,
        uint256 cumulativeAmount,
        uint256 cumulativeWork,
        uint256 amountDelta,
        uint256 workDelta
    );
    event BatchSettled(
        uint256 indexed epoch,
        uint256 batchIndex,
        bytes32 root,
        uint256 receipts,
        uint256 amount,
        uint256 work,
        uint256 burned,
        uint256 toTreasury
    );
    event EpochAnchored(uint256 indexed epoch, bytes32 root, uint256 batches);
    event EpochClosed(uint256 indexed epoch, uint256 budget, uint256 totalWork);
    event EmissionClaimed(uint256 indexed epoch, address indexed worker, uint256 reward);
    event EpochFinalized(uint256 indexed epoch, uint256 released);

    error EmptyBatch();
    error LengthMismatch(uint256 receipts, uint256 signatures);
    error InvalidSignatureLength(uint256 index);
    error SignatureHighS(uint256 index);
    error InvalidSignature(uint256 index);
    error InvalidWorker(uint256 index);
    error ValueOutOfRange(uint256 index);
    error ReceiptReplayed(uint256 index);
    error WorkDecreased(uint256 index);
    error PriceOutOfBounds(uint256 index);
    error InsufficientEscrow(uint256 index);
    error ZeroAmount();
    error WithdrawalExceedsEscrow(uint256 balance, uint256 amount);
    error NoWithdrawalPending();
    error WithdrawalLocked(uint256 unlockAt);
    error EpochNotEnded(uint256 epoch);
    error AnchorOutOfOrder(uint256 expected, uint256 epoch);
    error EpochAlreadyFinalized(uint256 epoch);
    error EmissionAlreadyClaimed(uint256 epoch, address worker);
    error EpochAlreadyClosed(uint256 epoch);
    error FinalizeTooEarly(uint256 epoch);
    error InvalidConfig();

    /// @param epochSeconds_ and @param withdrawalDelay_: deployment profile constants (RULES.md "Units and time").
    constructor(MeshToken token_, Params params_, address treasury_, uint64 epochSeconds_, uint64 withdrawalDelay_) {
        if (epochSeconds_ == 0 || treasury_ == address(0)) revert InvalidConfig();
        token = token_;
        params = params_;
        treasury = treasury_;
        genesisTime = block.timestamp;
        epochSeconds = epochSeconds_;
        withdrawalDelay = withdrawalDelay_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
        _cap = token_.cap();
    }

    // ---------------------------------------------------------------- EIP-712

    /// @notice The EIP-712 domain separator: name "tabmesh", version "1", this chain, this contract.
    function domainSeparator() public view returns (bytes32) {
        // Recomputed after a fork changes the chain id, so signatures never replay across chains.
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice EIP-5267 domain description (viem's getEip712Domain reads it).
    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", "tabmesh", "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @notice The digest a requester signs for `r`; also the receipt's Merkle leaf.
    function receiptDigest(Receipt calldata r) external view returns (bytes32) {
        return _digest(domainSeparator(), r);
    }

    /// @notice The Merkle root this contract builds over `leaves` (sorted-pair keccak, odd node carried up).
    function merkleRoot(bytes32[] memory leaves) external pure returns (bytes32) {
        return _merkleRoot(leaves);
    }

    // ---------------------------------------------------------------- escrow

    /// @notice Escrows `amount` MESH of the caller (needs an allowance).
    function deposit(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        token.transferFrom(msg.sender, address(this), amount);
        Escrow storage e = _escrows[msg.sender];
        uint256 balance = e.balance + amount;
        e.balance = uint128(balance); // the supply cap (1e27) is far below 2^128
        emit Deposited(msg.sender, amount, balance);
    }

    /// @notice Starts (or restarts) a withdrawal of `amount`, payable after `withdrawalDelay`.
    /// Until then the escrow keeps paying receipts: workers always have the delay to settle.
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Escrow storage e = _escrows[msg.sender];
        uint256 balance = e.balance;
        if (amount > balance) revert WithdrawalExceedsEscrow(balance, amount);
        uint256 unlockAt = block.timestamp + withdrawalDelay;
        e.pendingWithdrawal = uint96(amount);
        e.unlockAt = uint32(unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// @notice Pays out the pending withdrawal, capped at what settlement left in the escrow.
    function withdraw() external {
        Escrow memory e = _escrows[msg.sender];
        if (e.pendingWithdrawal == 0) revert NoWithdrawalPending();
        if (block.timestamp < e.unlockAt) revert WithdrawalLocked(e.unlockAt);
        uint256 amount = e.pendingWithdrawal < e.balance ? e.pendingWithdrawal : e.balance;
        uint256 balance = e.balance - amount;
        _escrows[msg.sender] = Escrow(uint128(balance), 0, 0);
        if (amount > 0) token.transfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount, balance);
    }

    /// @notice A requester's escrow: balance, pending withdrawal and when it unlocks.
    function escrowOf(address requester) external view returns (uint256 balance, uint256 pendingWithdrawal, uint256 unlockAt) {
        Escrow memory e = _escrows[requester];
        return (e.balance, e.pendingWithdrawal, e.unlockAt);
    }

    /// @notice What is settled so far for a (requester, worker) pair.
    function settled(address requester, address worker) external view returns (uint256 amount, uint256 work) {
        Pair memory p = _pairs[requester][worker];
        return (p.amount, p.work);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles cumulative receipts atomically: any bad receipt reverts the batch with its index.
    /// @return root the batch's Merkle root (leaves: the receipts' EIP-712 digests, in order).
    function settleBatch(Receipt[] calldata receipts, bytes[] calldata signatures) external returns (bytes32 root) {
        uint256 n = receipts.length;
        if (n == 0) revert EmptyBatch();
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);

        Batch memory b;
        b.epoch = currentEpoch();
        (b.burnBps, b.treasuryBps, b.minPrice, b.maxPrice) = params.settlementParams();
        b.domain = domainSeparator();
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = _settleOne(i, receipts[i], signatures[i], b);
        }
        _flushEscrow(b);

        EpochTotals storage t = _epochTotals[b.epoch];
        t.totalWork += uint128(b.work); // each work delta is below 2^64 (checked per receipt)
        if (b.burned > 0) token.burn(b.burned);
        if (b.toTreasury > 0) token.transfer(treasury, b.toTreasury);

        root = _merkleRoot(leaves);
        bytes32[] storage roots = _batchRoots[b.epoch];
        roots.push(root);
        emit BatchSettled(b.epoch, roots.length - 1, root, n, b.amount, b.work, b.burned, b.toTreasury);
    }

    function _settleOne(uint256 i, Receipt calldata r, bytes calldata sig, Batch memory b) private returns (bytes32 digest) {
        digest = _digest(b.domain, r);
        _checkSignature(i, digest, r.requester, sig);
        (uint256 amountDelta, uint256 workDelta) = _advancePair(i, r, b);
        _debitEscrow(i, r.requester, amountDelta, b);
        _credit(r.worker, amountDelta, workDelta, b);
        _emitSettled(r, digest, amountDelta, workDelta);
    }

    /// Checks a receipt against its pair's settled state and moves the pair forward.
    function _advancePair(uint256 i, Receipt calldata r, Batch memory b) private returns (uint256 amountDelta, uint256 workDelta) {
        if (r.worker == address(0)) revert InvalidWorker(i);
        if (r.cumulativeAmount > type(uint128).max || r.cumulativeWork > type(uint64).max) revert ValueOutOfRange(i);
        // Replay protection by cumulative amounts: storage moves per receipt, so a second receipt
        // of the same pair in one batch is checked against the first.
        Pair storage p = _pairs[r.requester][r.worker];
        Pair memory prev = p;
        if (r.cumulativeAmount <= prev.amount) revert ReceiptReplayed(i);
        if (r.cumulativeWork < prev.work) revert WorkDecreased(i);
        amountDelta = r.cumulativeAmount - prev.amount;
        workDelta = r.cumulativeWork - prev.work;
        if (amountDelta < workDelta * b.minPrice || amountDelta > workDelta * b.maxPrice) revert PriceOutOfBounds(i);
        p.amount = uint128(r.cumulativeAmount);
        p.work = uint128(r.cumulativeWork);
    }

    /// Escrow: one SLOAD/SSTORE per run of consecutive receipts from the same requester.
    function _debitEscrow(uint256 i, address requester, uint256 amountDelta, Batch memory b) private {
        if (requester != b.runRequester) {
            _flushEscrow(b);
            b.runRequester = requester;
            b.runBalance = _escrows[requester].balance;
        }
        if (amountDelta > b.runBalance - b.runDebit) revert InsufficientEscrow(i);
        b.runDebit += amountDelta;
    }

    /// Splits the fee, pays the worker now, and leaves burn and treasury to one call per batch.
    function _credit(address worker, uint256 amountDelta, uint256 workDelta, Batch memory b) private {
        (uint256 burnShare, uint256 treasuryShare, uint256 workerShare) = _splitFee(amountDelta, b.burnBps, b.treasuryBps);
        b.amount += amountDelta;
        b.work += workDelta;
        b.burned += burnShare;
        b.toTreasury += treasuryShare;
        WorkerEpoch storage we = _workerEpochs[b.epoch][worker];
        we.work += uint128(workDelta);
        we.burnPaid += uint120(burnShare);
        if (workerShare > 0) token.transfer(worker, workerShare);
    }

    function _emitSettled(Receipt calldata r, bytes32 digest, uint256 amountDelta, uint256 workDelta) private {
        emit ReceiptSettled(r.requester, r.worker, digest, r.cumulativeAmount, r.cumulativeWork, amountDelta, workDelta);
    }

    /// @notice The one place a fee is divided (RULES.md "Fees and burn"), rounding down, worker gets the rest.
    function _splitFee(uint256 amountDelta, uint256 burnBps, uint256 treasuryBps)
        internal
        pure
        returns (uint256 burnShare, uint256 treasuryShare, uint256 workerShare)
    {
        burnShare = (amountDelta * burnBps) / 10_000;
        treasuryShare = (amountDelta * treasuryBps) / 10_000;
        workerShare = amountDelta - burnShare - treasuryShare;
    }

    /// @notice Fee split at the current parameters (for off-chain mirrors and UIs).
    function splitFee(uint256 amountDelta) external view returns (uint256 burnShare, uint256 treasuryShare, uint256 workerShare) {
        (uint256 burnBps, uint256 treasuryBps,,) = params.settlementParams();
        return _splitFee(amountDelta, burnBps, treasuryBps);
    }

    function _flushEscrow(Batch memory b) private {
        if (b.runDebit == 0) return;
        _escrows[b.runRequester].balance = uint128(b.runBalance - b.runDebit);
        b.runDebit = 0;
    }

    function _checkSignature(uint256 i, bytes32 digest, address requester, bytes calldata sig) private pure {
        if (sig.length != 65) revert InvalidSignatureLength(i);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 32))
            v := byte(0, calldataload(add(sig.offset, 64)))
        }
        if (uint256(s) > HALF_N) revert SignatureHighS(i);
        if (v != 27 && v != 28) revert InvalidSignature(i);
        address signer = ecrecover(digest, v, r, s);
        // ecrecover returns 0 on failure: never let that match a zero requester.
        if (signer == address(0) || signer != requester) revert InvalidSignature(i);
    }

    function _digest(bytes32 domain, Receipt calldata r) private pure returns (bytes32 d) {
        address requester = r.requester;
        address worker = r.worker;
        uint256 amount = r.cumulativeAmount;
        uint256 work = r.cumulativeWork;
        bytes32 typeHash = RECEIPT_TYPEHASH;
        // hashStruct and the 0x1901 envelope in scratch memory above the free pointer, never allocated.
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, typeHash)
            mstore(add(p, 0x20), requester)
            mstore(add(p, 0x40), worker)
            mstore(add(p, 0x60), amount)
            mstore(add(p, 0x80), work)
            let structHash := keccak256(p, 0xa0)
            mstore(p, hex"1901")
            mstore(add(p, 0x02), domain)
            mstore(add(p, 0x22), structHash)
            d := keccak256(p, 0x42)
        }
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    // ---------------------------------------------------------------- anchoring

    /// @notice The epoch of the current block: `(block.timestamp - genesisTime) / epochSeconds`.
    function currentEpoch() public view returns (uint256) {
        return (block.timestamp - genesisTime) / epochSeconds;
    }

    /// @notice Fixes the Merkle root of ended epoch `epoch` over its batch roots; epochs strictly in order.
    /// An epoch without batches anchors the zero root.
    function anchor(uint256 epoch) external returns (bytes32 root) {
        if (epoch != nextAnchorEpoch) revert AnchorOutOfOrder(nextAnchorEpoch, epoch);
        if (epoch >= currentEpoch()) revert EpochNotEnded(epoch);
        bytes32[] memory roots = _batchRoots[epoch];
        root = _merkleRoot(roots);
        epochRoot[epoch] = root;
        nextAnchorEpoch = epoch + 1;
        emit EpochAnchored(epoch, root, roots.length);
    }

    /// @notice Whether `leaf` (a receipt digest) is in anchored epoch `epoch`: `proof` is its path in its
    /// batch followed by its batch's path among the epoch's batch roots (RECEIPTS.md "Anchoring").
    function verifyInclusion(uint256 epoch, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        return epoch < nextAnchorEpoch && MerkleProof.verifyCalldata(proof, epochRoot[epoch], leaf);
    }

    /// @notice The batch roots of `epoch`, in settlement order.
    function batchRoots(uint256 epoch) external view returns (bytes32[] memory) {
        return _batchRoots[epoch];
    }

    function _merkleRoot(bytes32[] memory nodes) private pure returns (bytes32) {
        uint256 n = nodes.length;
        if (n == 0) return bytes32(0);
        // In place, level by level: pair (2k, 2k+1) into k; an odd last node moves up unchanged.
        while (n > 1) {
            uint256 m;
            for (uint256 i; i < n; i += 2) {
                nodes[m++] = i + 1 < n ? Hashes.commutativeKeccak256(nodes[i], nodes[i + 1]) : nodes[i];
            }
            n = m;
        }
        return nodes[0];
    }

    // ---------------------------------------------------------------- emission

    /// @notice `E0 >> (epoch / HALVING_EPOCHS)`: the halving schedule before the governed multiplier.
    function scheduledEmission(uint256 epoch) public pure returns (uint256) {
        uint256 halvings = epoch / HALVING_EPOCHS;
        return halvings >= 256 ? 0 : E0 >> halvings;
    }

    /// @notice Fixes the budget of every epoch up to `epoch` (ended, not closed yet), in order.
    function closeEpoch(uint256 epoch) external {
        if (epoch >= currentEpoch()) revert EpochNotEnded(epoch);
        if (epoch < nextCloseEpoch) revert EpochAlreadyClosed(epoch);
        _closeThrough(epoch);
    }

    /// @notice Mints the caller's emission for ended epoch `epoch` (closing it first if needed).
    function claimEmission(uint256 epoch) external returns (uint256) {
        return _claim(epoch, msg.sender);
    }

    /// @notice Same as `claimEmission`, for `worker` (minted to the worker; anyone may pay the gas).
    function claimEmissionFor(uint256 epoch, address worker) external returns (uint256) {
        return _claim(epoch, worker);
    }

    /// @notice Releases the unclaimed rest of `epoch`'s budget from `committed`; once epoch + 2 began.
    function finalizeEpoch(uint256 epoch) external {
        if (currentEpoch() < epoch + 2) revert FinalizeTooEarly(epoch);
        EpochClaims storage c = _epochClaims[epoch];
        if (c.finalized) revert EpochAlreadyFinalized(epoch);
        _closeThrough(epoch);
        uint256 released = _epochTotals[epoch].budget - c.claimed;
        committed -= released;
        c.finalized = true;
        emit EpochFinalized(epoch, released);
    }

    /// @notice What `worker` would be minted for closed epoch `epoch` now (0 when claimed, finalized or not closed).
    function pendingEmission(uint256 epoch, address worker) external view returns (uint256) {
        WorkerEpoch memory we = _workerEpochs[epoch][worker];
        if (epoch >= nextCloseEpoch || we.claimed || _epochClaims[epoch].finalized || we.work == 0) return 0;
        return _reward(_epochTotals[epoch], we, params.maxEmissionPerBurnBps());
    }

    /// @notice Everything about one epoch.
    function epochInfo(uint256 epoch) external view returns (EpochView memory v) {
        EpochTotals memory t = _epochTotals[epoch];
        EpochClaims memory c = _epochClaims[epoch];
        v.totalWork = t.totalWork;
        v.budget = t.budget;
        v.claimed = c.claimed;
        v.closed = epoch < nextCloseEpoch;
        v.finalized = c.finalized;
        v.batches = _batchRoots[epoch].length;
        v.root = epochRoot[epoch];
        v.anchored = epoch < nextAnchorEpoch;
    }

    /// @notice A worker's settled work, burn paid and claim flag in `epoch`.
    function workerEpoch(uint256 epoch, address worker) external view returns (uint256 work, uint256 burnPaid, bool claimed) {
        WorkerEpoch memory we = _workerEpochs[epoch][worker];
        return (we.work, we.burnPaid, we.claimed);
    }

    function _claim(uint256 epoch, address worker) private returns (uint256 reward) {
        if (epoch >= currentEpoch()) revert EpochNotEnded(epoch);
        EpochClaims storage c = _epochClaims[epoch];
        if (c.finalized) revert EpochAlreadyFinalized(epoch);
        _closeThrough(epoch);
        WorkerEpoch storage we = _workerEpochs[epoch][worker];
        WorkerEpoch memory w = we;
        if (w.claimed) revert EmissionAlreadyClaimed(epoch, worker);
        // RULES.md: a claim whose reward is 0 (no work, or a zero cap) still uses the worker's one claim.
        reward = _reward(_epochTotals[epoch], w, params.maxEmissionPerBurnBps());
        we.claimed = true;
        c.claimed += uint128(reward);
        committed -= reward;
        if (reward > 0) token.mint(worker, reward);
        emit EmissionClaimed(epoch, worker, reward);
    }

    /// `min(budget * work / totalWork, burnPaid * maxEmissionPerBurnBps / 10000)`; 0 without work.
    function _reward(EpochTotals memory t, WorkerEpoch memory w, uint256 maxEmissionPerBurnBps) private pure returns (uint256) {
        if (w.work == 0) return 0;
        uint256 proRata = (uint256(t.budget) * w.work) / t.totalWork;
        uint256 burnCap = (uint256(w.burnPaid) * maxEmissionPerBurnBps) / 10_000;
        return proRata < burnCap ? proRata : burnCap;
    }

    function _closeThrough(uint256 epoch) private {
        uint256 k = nextCloseEpoch;
        if (epoch < k) return;
        uint256 rate = params.emissionRateBps();
        uint256 supply = token.totalSupply();
        uint256 c = committed;
        for (; k <= epoch; ++k) {
            uint256 budget = (scheduledEmission(k) * rate) / 10_000;
            uint256 room = _cap > supply + c ? _cap - supply - c : 0;
            if (budget > room) budget = room;
            EpochTotals storage t = _epochTotals[k];
            t.budget = uint128(budget);
            c += budget;
            emit EpochClosed(k, budget, t.totalWork);
        }
        committed = c;
        nextCloseEpoch = epoch + 1;
    }
}
