// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title MESH, the tabmesh network token
/// @notice OpenZeppelin ERC-20 with a hard cap, burning, and role-gated minting.
/// Genesis (src/economy/RULES.md, "Supply"): 100M MESH to the treasury and 50M MESH to the faucet,
/// minted here so the allocation is visible on-chain as two Transfer events from address(0).
/// The remaining 850M MESH are the contributors' emission pool: only a MINTER_ROLE holder (the
/// Settlement contract) mints them, epoch by epoch, and ERC20Capped refuses anything past the cap.
contract MeshToken is ERC20, ERC20Capped, ERC20Burnable, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 public constant CAP = 1_000_000_000 ether;
    uint256 public constant GENESIS_TREASURY = 100_000_000 ether;
    uint256 public constant GENESIS_FAUCET = 50_000_000 ether;

    /// @param treasury receives the treasury genesis allocation (the governance timelock).
    /// @param faucet receives the faucet genesis allocation (local networks fund demo accounts from it).
    /// @param admin gets DEFAULT_ADMIN_ROLE, to grant MINTER_ROLE to Settlement and hand admin to governance.
    constructor(address treasury, address faucet, address admin) ERC20("MESH", "MESH") ERC20Capped(CAP) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _mint(treasury, GENESIS_TREASURY);
        _mint(faucet, GENESIS_FAUCET);
    }

    /// @notice Mints emission. Only MINTER_ROLE (Settlement); the cap is enforced by ERC20Capped.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
