"""Pinned machine images: resolve the current Amazon Linux 2023 AMI once, with its evidence.

Launch templates that name the public "latest AL2023" SSM parameter get a new image whenever AWS
publishes one, at any deploy, for every instance. Instead a release records the id this function
returns (RenderOptions.image_ids) and keeps it until a release moves it on purpose
(`hivemind update --refresh-ami`). Read-only: one ssm:GetParameter on a public parameter.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

ARCHITECTURES = ("x86_64", "arm64")


def image_parameter(arch: str) -> str:
    """The public SSM parameter naming the latest AL2023 AMI (standard kernel) for `arch`."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {arch!r}")
    return f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


@dataclass(frozen=True)
class ImageEvidence:
    """Where an image id came from, for the release record and `hivemind status`."""

    parameter: str
    region: str
    arch: str
    version: int | None
    last_modified: str | None

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        when = f", published {self.last_modified}" if self.last_modified else ""
        version = f" v{self.version}" if self.version is not None else ""
        return f"SSM {self.parameter}{version} in {self.region}{when}"


def resolve_image_id(region: str, arch: str = "x86_64") -> tuple[str, ImageEvidence]:
    """(AMI id, evidence) of the latest AL2023 image for `arch` in `region`; raises AwsError."""
    from ..aws import AwsError, aws_errors, client

    name = image_parameter(arch)
    with aws_errors(f"reading {name}"):
        parameter = client("ssm", region).get_parameter(Name=name)["Parameter"]
    image_id = str(parameter.get("Value") or "")
    if not image_id.startswith("ami-"):
        raise AwsError(f"reading {name}: expected an AMI id, got {image_id[:40]!r}")
    modified = parameter.get("LastModifiedDate")
    evidence = ImageEvidence(
        parameter=name, region=region, arch=arch, version=parameter.get("Version"),
        last_modified=modified.isoformat() if hasattr(modified, "isoformat") else (str(modified) if modified else None),
    )
    return image_id, evidence
