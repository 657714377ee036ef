"""Least-privilege IAM for HiveMind: the deployer's policy and CloudFormation's execution role.

`hivemind iam-policy [ID]` prints both. The deployer's actions are read from HiveMind's own code
(scan.py -> actions.py -> deployer.py); the execution role's from the resource types its templates
create (catalogue.py -> execution.py).
"""
from __future__ import annotations

from . import catalogue
from .deployer import deployer_policy
from .document import Scope
from .execution import execution_policy, trust_policy


def policies(scope: Scope) -> dict:
    """{"deployer": policy, "execution_role": {"name", "trust", "policy"}} for `scope`."""
    return {
        "deployer": deployer_policy(scope),
        "execution_role": {
            "name": scope.execution_role_name,
            "trust": trust_policy(),
            "policy": execution_policy(catalogue.load()["deployment"], scope),
        },
    }


__all__ = ["Scope", "policies", "deployer_policy", "execution_policy", "trust_policy"]
