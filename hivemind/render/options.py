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

    # Pinned machine image per colour (AMI id, e.g. from images.resolve_image_id and recorded in the
    # release). A key "<colour>:<arch>" (arch x86_64 or arm64) wins over "<colour>" for the services
    # of that architecture. Empty: offline synth keeps the public "latest AL2023" SSM parameter,
    # which moves at every deploy; production synth then reports an unpinned-image warning.
    image_ids: dict[str, str] = field(default_factory=dict)
    # CIDRs (e.g. the verifying machine's /32) allowed to reach the test listener; none by default.
    test_listener_cidrs: tuple[str, ...] = ()
    # Production ALBs have deletion protection; destroy renders False for its last edge update.
    alb_deletion_protection: bool = True

    def image_id(self, color: str, arch: str) -> str | None:
        return self.image_ids.get(f"{color}:{arch}") or self.image_ids.get(color)

    @property
    def active_color(self) -> Color:
        return "green" if self.weights.get("green", 0) > self.weights.get("blue", 0) else "blue"
