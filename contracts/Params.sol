// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Governed economy parameters, in one place, inside hard bounds
/// @notice Ids, defaults and bounds are those of src/economy/RULES.md ("Governance"). The bounds
/// are constants: no proposal can move them, `set` is the only way a value changes, and it reverts
/// `ParamOutOfBounds(id, value)` outside them. The owner is the governance timelock.
contract Params is Ownable {
    uint8 public constant EMISSION_RATE_BPS = 0;
    uint8 public constant BURN_BPS = 1;
    uint8 public constant TREASURY_BPS = 2;
    uint8 public constant MIN_STAKE = 3;
    uint8 public constant REPLICATION_DEFAULT = 4;
    uint8 public constant MIN_PRICE_PER_WORK = 5;
    uint8 public constant MAX_PRICE_PER_WORK = 6;
    uint8 public constant SLASH_BPS = 7;
    uint8 public constant REPORTER_BPS = 8;
    uint8 public constant MAX_EMISSION_PER_BURN_BPS = 9;
    uint8 public constant COUNT = 10;

    // Hard bounds (inclusive).
    uint256 public constant MAX_EMISSION_RATE_BPS = 10_000;
    uint256 public constant MAX_BURN_BPS = 5_000;
    uint256 public constant MAX_TREASURY_BPS = 2_000;
    uint256 public constant MAX_BURN_PLUS_TREASURY_BPS = 6_000;
    uint256 public constant MIN_MIN_STAKE = 1 ether;
    /// @dev 5,000 MESH: a captured governance must not be able to price honest workers out
    /// (src/economy/README.md, governance takeover: exclusion pays above ≈ 8.7k MESH).
    uint256 public constant MAX_MIN_STAKE = 5_000 ether;
    uint256 public constant MIN_REPLICATION = 1;
    uint256 public constant MAX_REPLICATION = 5;
    uint256 public constant MIN_PRICE_FLOOR = 1e9;
    uint256 public constant MAX_PRICE_CEILING = 1_000 ether;
    uint256 public constant MIN_SLASH_BPS = 1_000;
    uint256 public constant MAX_SLASH_BPS = 10_000;
    uint256 public constant MAX_REPORTER_BPS = 5_000;
    uint256 public constant MAX_MAX_EMISSION_PER_BURN_BPS = 10_000;

    uint256[10] private _values;

    event ParamChanged(uint8 indexed id, uint256 oldValue, uint256 newValue);

    error ParamOutOfBounds(uint8 id, uint256 value);
    error UnknownParam(uint8 id);

    constructor(address owner_) Ownable(owner_) {
        _values[EMISSION_RATE_BPS] = 10_000;
        _values[BURN_BPS] = 2_000;
        _values[TREASURY_BPS] = 500;
        _values[MIN_STAKE] = 100 ether;
        _values[REPLICATION_DEFAULT] = 2;
        _values[MIN_PRICE_PER_WORK] = 0.001 ether;
        _values[MAX_PRICE_PER_WORK] = 10 ether;
        _values[SLASH_BPS] = 5_000;
        _values[REPORTER_BPS] = 2_000;
        _values[MAX_EMISSION_PER_BURN_BPS] = 8_000;
    }

    /// @notice The value of parameter `id` (0..9).
    function get(uint8 id) external view returns (uint256) {
        if (id >= COUNT) revert UnknownParam(id);
        return _values[id];
    }

    /// @notice All ten values, indexed by id.
    function all() external view returns (uint256[10] memory) {
        return _values;
    }

    /// @notice The bounds `set(id, ·)` accepts now. Three are relative to another parameter
    /// (treasury to burn, min price to max price and back), so they depend on current values.
    function bounds(uint8 id) public view returns (uint256 min, uint256 max) {
        if (id == EMISSION_RATE_BPS) return (0, MAX_EMISSION_RATE_BPS);
        if (id == BURN_BPS) return (0, _min(MAX_BURN_BPS, MAX_BURN_PLUS_TREASURY_BPS - _values[TREASURY_BPS]));
        if (id == TREASURY_BPS) return (0, _min(MAX_TREASURY_BPS, MAX_BURN_PLUS_TREASURY_BPS - _values[BURN_BPS]));
        if (id == MIN_STAKE) return (MIN_MIN_STAKE, MAX_MIN_STAKE);
        if (id == REPLICATION_DEFAULT) return (MIN_REPLICATION, MAX_REPLICATION);
        if (id == MIN_PRICE_PER_WORK) return (MIN_PRICE_FLOOR, _values[MAX_PRICE_PER_WORK]);
        if (id == MAX_PRICE_PER_WORK) return (_values[MIN_PRICE_PER_WORK], MAX_PRICE_CEILING);
        if (id == SLASH_BPS) return (MIN_SLASH_BPS, MAX_SLASH_BPS);
        if (id == REPORTER_BPS) return (0, MAX_REPORTER_BPS);
        if (id == MAX_EMISSION_PER_BURN_BPS) return (0, MAX_MAX_EMISSION_PER_BURN_BPS);
        revert UnknownParam(id);
    }

    /// @notice Sets parameter `id` to `value`; only the owner (the governance timelock).
    function set(uint8 id, uint256 value) external onlyOwner {
        (uint256 lo, uint256 hi) = bounds(id);
        if (value < lo || value > hi) revert ParamOutOfBounds(id, value);
        uint256 old = _values[id];
        _values[id] = value;
        emit ParamChanged(id, old, value);
    }

    function emissionRateBps() external view returns (uint256) { return _values[EMISSION_RATE_BPS]; }
    function burnBps() external view returns (uint256) { return _values[BURN_BPS]; }
    function treasuryBps() external view returns (uint256) { return _values[TREASURY_BPS]; }
    function minStake() external view returns (uint256) { return _values[MIN_STAKE]; }
    function replicationDefault() external view returns (uint256) { return _values[REPLICATION_DEFAULT]; }
    function minPricePerWork() external view returns (uint256) { return _values[MIN_PRICE_PER_WORK]; }
    function maxPricePerWork() external view returns (uint256) { return _values[MAX_PRICE_PER_WORK]; }
    function slashBps() external view returns (uint256) { return _values[SLASH_BPS]; }
    function reporterBps() external view returns (uint256) { return _values[REPORTER_BPS]; }
    function maxEmissionPerBurnBps() external view returns (uint256) { return _values[MAX_EMISSION_PER_BURN_BPS]; }

    /// @notice What settling a batch needs, in one call (Settlement reads it once per batch).
    function settlementParams()
        external
        view
        returns (uint256 burnBps_, uint256 treasuryBps_, uint256 minPricePerWork_, uint256 maxPricePerWork_)
    {
        return (_values[BURN_BPS], _values[TREASURY_BPS], _values[MIN_PRICE_PER_WORK], _values[MAX_PRICE_PER_WORK]);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
