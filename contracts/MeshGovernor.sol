// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @dev What the governor reads from Staking besides IVotes.
interface IStakingInfo {
    function unbondingDelay() external view returns (uint64);
    function params() external view returns (address);
}

/// @dev The one action a proposal may take.
interface IParamsSet {
    function set(uint8 id, uint256 value) external;
}

/**
 * @title MeshGovernor: stake-weighted governance of the economy's parameters.
 * @notice OpenZeppelin Governor with settings, simple counting, votes = Staking's checkpointed
 * bonded stake (timestamp clock), quorum 4% of all bonded stake at the snapshot, and a
 * TimelockController (which owns Params) between a passed vote and its effect. A proposal's
 * actions are `Params.set(id, value)` calls on Staking's Params, with no ether, and nothing else
 * (RULES.md: the treasury is not spendable by governance in this version, and governance cannot
 * retune itself or the timelock). Params' hard bounds are the last word: a passing proposal outside
 * them reverts at execution and changes nothing (actions run in order, all or none).
 *
 * Timing rule of src/economy/RULES.md: `unbondingDelay > votingPeriod + timelockDelay`, so stake
 * that voted cannot be withdrawn before the change it voted for takes effect (and stays slashable
 * that long). Checked in the constructor; with only Params.set proposable, neither the voting
 * period nor the timelock delay can change afterwards (`_setVotingPeriod` checks it anyway).
 */
contract MeshGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice proposalThreshold: 1,000 MESH of voting power.
    uint256 public constant PROPOSAL_THRESHOLD = 1_000 ether;
    /// @notice quorum numerator out of 100.
    uint256 public constant QUORUM_PERCENT = 4;

    /// @notice `unbondingDelay > votingPeriod + timelockDelay` does not hold.
    error UnsafeTiming(uint256 unbondingDelay, uint256 votingPeriod, uint256 timelockDelay);
    /// @notice Action `index` of a proposal is not a plain `Params.set` call.
    error ActionNotAllowed(uint256 index, address target, uint256 value, bytes4 selector);

    /// @notice The only contract a proposal may call (Staking's Params).
    address public immutable params;

    constructor(IVotes staking, TimelockController timelock_, uint48 votingDelay_, uint32 votingPeriod_)
        Governor("MeshGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, PROPOSAL_THRESHOLD)
        GovernorVotes(staking)
        GovernorVotesQuorumFraction(QUORUM_PERCENT)
        GovernorTimelockControl(timelock_)
    {
        _checkTiming(address(staking), votingPeriod_, timelock_.getMinDelay());
        params = IStakingInfo(address(staking)).params();
    }

    /// @notice Staking's unbonding delay, the bound on votingPeriod + timelock delay.
    function unbondingDelay() public view returns (uint256) {
        return IStakingInfo(address(token())).unbondingDelay();
    }

    function _checkTiming(address staking, uint256 period, uint256 tlDelay) private view {
        uint256 ud = IStakingInfo(staking).unbondingDelay();
        if (ud <= period + tlDelay) revert UnsafeTiming(ud, period, tlDelay);
    }

    /// @dev A governance change of the voting period must keep the timing rule (skipped while the
    /// constructor runs: the timelock is not set yet there, and the constructor checks it itself).
    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        address tl = timelock();
        if (tl != address(0)) {
            _checkTiming(address(token()), newVotingPeriod, TimelockController(payable(tl)).getMinDelay());
        }
        super._setVotingPeriod(newVotingPeriod);
    }

    /// @dev Every action must be `Params.set(uint8, uint256)` on `params` with no ether.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override returns (uint256) {
        uint256 n = targets.length;
        if (n == values.length && n == calldatas.length) {
            for (uint256 i = 0; i < n; ++i) {
                bytes memory data = calldatas[i];
                bytes4 selector = data.length >= 4 ? bytes4(data) : bytes4(0);
                if (targets[i] != params || values[i] != 0 || selector != IParamsSet.set.selector || data.length != 68) {
                    revert ActionNotAllowed(i, targets[i], values[i], selector);
                }
            }
        }
        return super._propose(targets, values, calldatas, description, proposer);
    }

    // ---------------------------------------------------------------- required overrides

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }

    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
