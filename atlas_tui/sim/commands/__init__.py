"""API commands, one module per area; importing this package fills ``REGISTRY``."""

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
