"""What the renderer needs besides the plan: which colours exist, traffic weights, the artifact."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Color = Literal["blue", "green"]


@dataclass(frozen=True)
class ArtifactRef:
    """A content-hashed app bundle in the artifact bucket, fetched by instance user data."""

    bucket: str
    key: str
    sha256: str


@dataclass(frozen=True)
class RenderOptions:
    # Colour stacks to render (`<name>-app-blue`, `<name>-app-green`). A first deploy has one.
    colors: tuple[Color, ...] = ("blue",)
    # Listener forward weights per colour; the active colour takes 100 outside a shift.
    weights: dict[str, int] = field(default_factory=lambda: {"blue": 100, "green": 0})
    # Per-colour artifact (None: user data expects the artifact at a placeholder and synth
    # still works offline for review).
    artifacts: dict[str, ArtifactRef] = field(default_factory=dict)

    @property
    def active_color(self) -> Color:
        return "green" if self.weights.get("green", 0) > self.weights.get("blue", 0) else "blue"
