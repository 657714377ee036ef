"""Monthly cost estimate of synthesized stacks from a shipped price table (source + date inside)."""
from .estimator import estimate, price_table
from .model import CostEstimate, CostLine

__all__ = ["CostEstimate", "CostLine", "estimate", "price_table"]
