"""Compute profiles: the resources and placement an admin offers for jobs (pure values).

:class:`ComputeProfile` lives here, below :mod:`jupyter_bighead.jobs` (which re-exports
it from ``jobs.spec`` as before), so that the admin settings store can validate an edit
with the very class the executors use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import InvalidSpec
from ..resources import parse_quantity

#: A profile name (the same rule as a job spec's ``profile``).
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
#: The longest image reference and description a profile may carry.
MAX_IMAGE_CHARS = 300
MAX_DESCRIPTION_CHARS = 500
MAX_TOLERATIONS = 32

_PATH = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = rf"(?:{_HOST}(?:\.{_HOST})*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
#: A container image reference as registries and Kubernetes take it (the distribution
#: grammar): ``[registry[:port]/]path[/path...][:tag][@algorithm:hex]``.
IMAGE_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?{_PATH}(?:/{_PATH})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?\Z")


def check_image_reference(image: Any, what: str) -> str:
    """``image`` when it is a container image reference, at most
    :data:`MAX_IMAGE_CHARS` characters.

    Raises
    ------
    InvalidSpec
        Naming ``what`` and the form a reference takes.
    """
    match = IMAGE_REFERENCE.match(image) if isinstance(image, str) and \
        0 < len(image) <= MAX_IMAGE_CHARS else None
    domain = match.group("domain") if match else None
    if domain is not None and domain != domain.lower() and not (
            "." in domain or ":" in domain):  # "Org/x" is a path, and paths are lowercase
        match = None
    if match is None:
        shown = repr(image[:80]) if isinstance(image, str) else type(image).__name__
        raise InvalidSpec(f"{what} {shown} is not an image reference: "
                          "[registry[:port]/]path[:tag][@sha256:digest], the path in "
                          f"lowercase letters, digits, '.', '_' or '-', at most "
                          f"{MAX_IMAGE_CHARS} characters (e.g. 'registry.example/team/"
                          "bighead:1.2')")
    return image


@dataclass(frozen=True)
class ComputeProfile:
    """Resources and placement for a job, configured by an admin."""

    name: str
    cpu: str = "1"
    memory: str = "2Gi"
    gpu: int = 0
    image: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    max_concurrent_per_user: int = 4
    description: str = ""

    def __post_init__(self) -> None:
        parse_quantity(self.cpu, f"profile {self.name!r} cpu")
        parse_quantity(self.memory, f"profile {self.name!r} memory")
        if not isinstance(self.gpu, int) or isinstance(self.gpu, bool) or self.gpu < 0:
            raise InvalidSpec(f"profile {self.name!r} gpu must be a whole number >= 0")
        if not isinstance(self.max_concurrent_per_user, int) or self.max_concurrent_per_user < 1:
            raise InvalidSpec(f"profile {self.name!r} max_concurrent_per_user must be >= 1")

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ComputeProfile:
        """A profile from its settings (``cpu``, ``memory``, ``gpu``...).

        Raises
        ------
        InvalidSpec
            Unknown keys, or a value the profile cannot hold (naming it).
        """
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        unknown = set(data) - known
        if unknown:
            raise InvalidSpec(f"profile {name!r} has unknown keys {sorted(unknown)}; "
                              f"known keys: {sorted(known)}")
        values = dict(data)
        if "tolerations" in values:
            values["tolerations"] = tuple(values["tolerations"])
        return cls(name=name, **values)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["tolerations"] = list(self.tolerations)
        out["node_selector"] = dict(self.node_selector)
        return out


DEFAULT_PROFILES = {"default": ComputeProfile("default", description="1 CPU, 2 GiB, no GPU")}


def validate_profile(name: Any, data: Any) -> ComputeProfile:
    """A profile an admin edits, checked more strictly than a config file's: the name,
    ``cpu`` and ``memory`` stated, and the type and size of every value, so that what
    the store holds is always something every executor and the hub's ``profile_list``
    can use.

    Raises
    ------
    InvalidSpec
        Naming the profile and the value that is wrong.
    """
    if not isinstance(name, str) or not PROFILE_NAME.match(name):
        raise InvalidSpec(f"profile name {str(name)[:80]!r} must be 1-63 letters, digits, "
                          "'_', '.' or '-', starting with a letter or digit")
    if not isinstance(data, Mapping):
        raise InvalidSpec(f"profile {name!r} must be a JSON object")
    missing = [k for k in ("cpu", "memory") if k not in data]
    if missing:  # an admin states what a profile gives; defaults are for config files
        raise InvalidSpec(f"profile {name!r} must state {' and '.join(missing)} "
                          "(e.g. {\"cpu\": \"4\", \"memory\": \"16Gi\"})")
    values = {k: v for k, v in data.items() if k != "name"}
    for key in ("cpu", "memory"):
        if key in values and not isinstance(values[key], str | int | float):
            raise InvalidSpec(f"profile {name!r} {key} must be a quantity such as '4' or '8Gi'")
        if key in values:
            values[key] = str(values[key])
    if values.get("image") == "":
        values["image"] = None
    if values.get("image") is not None:
        check_image_reference(values["image"], f"profile {name!r} image (or null)")
    description = values.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidSpec(f"profile {name!r} description must be text of at most "
                          f"{MAX_DESCRIPTION_CHARS} characters")
    selector = values.get("node_selector", {})
    if not isinstance(selector, Mapping) or len(selector) > MAX_TOLERATIONS or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) + len(v) <= 316
            for k, v in selector.items()):
        raise InvalidSpec(f"profile {name!r} node_selector must map label names to values "
                          "(text)")
    tolerations = values.get("tolerations", [])
    if not isinstance(tolerations, list | tuple) or len(tolerations) > MAX_TOLERATIONS or \
            not all(isinstance(t, Mapping) for t in tolerations):
        raise InvalidSpec(f"profile {name!r} tolerations must be a list of at most "
                          f"{MAX_TOLERATIONS} objects")
    for key in ("gpu", "max_concurrent_per_user"):
        if key in values and (isinstance(values[key], bool) or not isinstance(values[key], int)):
            raise InvalidSpec(f"profile {name!r} {key} must be a whole number")
    try:
        return ComputeProfile.from_dict(name, values)
    except TypeError as exc:  # a value dataclass arithmetic cannot take
        raise InvalidSpec(f"profile {name!r}: {exc}") from None
