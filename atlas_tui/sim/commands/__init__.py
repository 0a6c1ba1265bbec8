"""API commands, one module per area: HTTP handlers only (parameters in, a call to ``domain``,
the answer out). Importing this package fills ``REGISTRY``."""

from . import misc, policies, snapshots, templates, vms, vmsnapshots, volumes
from .base import REGISTRY, Ctx, ListReply, Reply

__all__ = [
    "REGISTRY",
    "Ctx",
    "ListReply",
    "Reply",
    "misc",
    "policies",
    "snapshots",
    "templates",
    "vms",
    "vmsnapshots",
    "volumes",
]
