"""Who the simulator answers, and as which server: the caller's role and the server version.

CloudStack shows a regular account (role User) much less than a root admin: the "Restricted"
response view (``ResponseObject.ResponseView``) leaves out storage, hypervisor and path fields,
and non-admins get a generic text for unexpected server errors. Atlas customers are regular
accounts, so ``user`` is the default; ``admin`` gives the full view.

The version switches what changed between releases (see ``--help`` and the README):

* before 4.20 ``listSnapshotPolicies`` requires ``volumeid``;
* before 4.20 the rate limiter's text has no brackets ("retry after 250 ms.");
* before 4.19 ``updateVolume`` has no ``name`` (an unknown parameter, ignored);
* before 4.18 a snapshot carries only ``size`` (no ``virtualsize``/``physicalsize``).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("user", "admin")
VERSIONS = ("4.15", "4.18", "4.19", "4.20", "4.22")


def parse_version(text: str) -> tuple[int, int]:
    """``"4.18"`` or ``"4.18.1.0"`` to (4, 18); only the versions the simulator knows."""
    parts = text.strip().split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError(f"not a CloudStack version: {text!r} (e.g. 4.22)") from None
    if f"{major}.{minor}" not in VERSIONS:
        raise ValueError(f"unsupported server version {text!r}: one of {', '.join(VERSIONS)}")
    return major, minor


@dataclass(frozen=True, slots=True)
class ServerView:
    role: str = "user"
    version: tuple[int, int] = (4, 22)

    @classmethod
    def make(cls, role: str = "user", version: str = "4.22") -> ServerView:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        return cls(role, parse_version(version))

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    def since(self, major: int, minor: int) -> bool:
        return self.version >= (major, minor)

    @property
    def version_text(self) -> str:
        """What listCapabilities reports, e.g. ``4.22.0.0``."""
        return f"{self.version[0]}.{self.version[1]}.0.0"
