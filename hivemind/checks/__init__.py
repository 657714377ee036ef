"""Security and correctness checks on synthesized stacks: cdk-nag, cfn-lint, one finding model."""
from .findings import Finding

__all__ = ["Finding"]
