"""What the local stack keeps out of its resident memory.

moto imports its EC2 models for Lambda (VPC configs) and Step Functions (its Batch integration), and
EC2's models load, at import, every instance type and its offerings in every region and zone: about
60 MB resident (bench/reports/peer.md) for a service the local stack neither creates nor serves. Those
two tables are loaded empty; every other moto resource loads as it is. After start-up, the memory that
start-up freed (moto's region lists parse whole service models in throwaway sessions) is handed back
to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from typing import Any

EC2_INSTANCE_TYPES = "ec2/resources/instance_types.json"
EC2_OFFERINGS = "ec2/resources/instance_type_offerings/"


def skip_ec2_tables() -> None:
    """Load moto's EC2 instance type tables empty. Call before anything imports moto's EC2 models
    (a no-op once they are imported, as in a process that already used them)."""
    from moto.utilities import utils

    if "moto.ec2.models.instance_types" in sys.modules or getattr(utils.load_resource, "_lean", False):
        return
    original = utils.load_resource

    def load_resource(resource: str) -> Any:
        if resource == EC2_INSTANCE_TYPES:
            return {}
        if resource.startswith(EC2_OFFERINGS):
            return []
        return original(resource)

    load_resource._lean = True  # type: ignore[attr-defined]
    utils.load_resource = load_resource


def release_freed_memory() -> None:
    """Collect garbage and return the C heap's free pages to the system (glibc; elsewhere a no-op)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:
        trim(0)
