"""Cost estimate data: one line per priced resource, monthly USD, before and after always-free allowances."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CostLine:
    stack: str
    resource: str  # logical id
    resource_type: str
    description: str
    monthly_usd: float
    free_tier_usd: float = 0.0  # part of monthly_usd that AWS's always-free allowances (per account) cover

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CostEstimate:
    region: str
    price_region: str
    source: str
    as_of: str
    lines: list[CostLine] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    @property
    def free_tier_total_usd(self) -> float:
        return round(sum(line.monthly_usd - line.free_tier_usd for line in self.lines), 2)

    def to_dict(self) -> dict:
        return {
            "region": self.region, "price_region": self.price_region, "source": self.source, "as_of": self.as_of,
            "currency": "USD", "total_monthly_usd": self.total_usd,
            "total_monthly_usd_after_always_free": self.free_tier_total_usd,
            "lines": [line.to_dict() for line in self.lines], "assumptions": self.assumptions,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CostEstimate":
        return cls(
            region=data["region"], price_region=data["price_region"], source=data["source"], as_of=data["as_of"],
            lines=[CostLine(**line) for line in data.get("lines", [])], assumptions=list(data.get("assumptions", [])),
        )
