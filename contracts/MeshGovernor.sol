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

/// @dev The one thing the governor needs from Staking besides IVotes.
interface IUnbondingDelay {
    function unbondingDelay() external view returns (uint64);
}

/**
 * @title MeshGovernor: stake-weighted governance of the economy's parameters.
 * @notice OpenZeppelin Governor with settings, simple counting, votes = Staking's checkpointed
 * bonded stake (timestamp clock), quorum 4% of all bonded stake at the snapshot, and a
 * TimelockController (which owns Params) between a passed vote and its effect. Parameters change
 * only by a proposal whose action is `Params.set(id, value)`; Params' hard bounds are the last word
 * (a passing proposal outside them reverts at execution and changes nothing).
 *
 * Timing rule of src/economy/RULES.md: `unbondingDelay > votingPeriod + timelockDelay`, so stake
 * that voted cannot be withdrawn before the change it voted for takes effect (and stays slashable
 * that long). Checked in the constructor, when governance changes the voting period, when a
 * proposal asks the timelock for a new delay, and after every execution (which reverts if the
 * executed actions broke it, e.g. a timelock swap).
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

    constructor(IVotes staking, TimelockController timelock_, uint48 votingDelay_, uint32 votingPeriod_)
        Governor("MeshGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, PROPOSAL_THRESHOLD)
        GovernorVotes(staking)
        GovernorVotesQuorumFraction(QUORUM_PERCENT)
        GovernorTimelockControl(timelock_)
    {
        _checkTiming(address(staking), votingPeriod_, timelock_.getMinDelay());
    }

    /// @notice Staking's unbonding delay, the bound on votingPeriod + timelock delay.
    function unbondingDelay() public view returns (uint256) {
        return IUnbondingDelay(address(token())).unbondingDelay();
    }

    function _checkTiming(address staking, uint256 period, uint256 tlDelay) private view {
        uint256 ud = IUnbondingDelay(staking).unbondingDelay();
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

    /// @dev Refuses at proposal time a proposal that would set the timelock's delay too long.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override returns (uint256) {
        address tl = timelock();
        for (uint256 i = 0; i < targets.length && i < calldatas.length; ++i) {
            bytes memory data = calldatas[i];
            if (targets[i] == tl && data.length >= 36 && bytes4(data) == TimelockController.updateDelay.selector) {
                uint256 newDelay;
                assembly ("memory-safe") {
                    newDelay := mload(add(data, 36))
                }
                _checkTiming(address(token()), votingPeriod(), newDelay);
            }
        }
        return super._propose(targets, values, calldatas, description, proposer);
    }

    /// @dev After the timelock ran a proposal's actions, the timing rule must still hold.
    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
        _checkTiming(address(token()), votingPeriod(), TimelockController(payable(timelock())).getMinDelay());
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
