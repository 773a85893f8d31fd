"""What the local stack keeps out of its resident memory.

moto imports its EC2 models for Lambda (VPC configs) and Step Functions (its Batch integration), and
EC2's models load, at import, every instance type and its offerings in every region and zone: about
60 MB resident (bench/reports/peer.md) for a service the local stack neither creates nor serves. Those
two tables are loaded empty; every other moto resource loads as it is. After start-up, the memory that
start-up freed (moto's region lists parse whole service models in throwaway sessions) is handed back
to the system. Every boto3 session (the runtime makes one per client, moto one per backend region
list) gets botocore's one data loader instead of one each, so each service model is parsed and held
once, as within one session. glibc gives each thread that allocates a malloc arena of its own, up to
eight per core, and the local stack runs many (request workers, one or two per Step Functions
execution): two arenas are shared instead, as MALLOC_ARENA_MAX=2 would set. DynamoDB's stream records
are held pickled (pack_stream_records), and moto's models are registered only where moto reads the
register (track_only_what_moto_reads). What start-up leaves alive (moto's models, botocore's service
models: about 270,000 objects) is then frozen out of the cyclic garbage collector's reach: it would
otherwise walk them all on every full collection. And the youngest generation is collected every
YOUNG_THRESHOLD allocations instead of every 700.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import pickle
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


def pack_stream_records() -> None:
    """Hold each DynamoDB stream record as one pickle instead of moto's nested dicts: moto keeps every
    record for the life of the process (DynamoDB keeps them 24 hours), with both images of the item, a
    dict per attribute: 52.7 of the about 110 KB an echo run left resident, 7.8 KB pickled. A record is
    read as moto built it (its `to_json`, which GetRecords and the stream poller read), a copy of its
    own each time; packing and one read cost about 30 µs a record."""
    from moto.dynamodb.models.table import StreamRecord

    original = StreamRecord.__init__
    if getattr(original, "_packed", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.packed = pickle.dumps(self.__dict__.pop("record"), pickle.HIGHEST_PROTOCOL)

    def to_json(self: Any) -> dict[str, Any]:
        record: dict[str, Any] = pickle.loads(self.packed)  # noqa: S301 (our own pickle of moto's record)
        return record

    __init__._packed = True  # type: ignore[attr-defined]
    __init__._original = original  # type: ignore[attr-defined]
    StreamRecord.__init__ = __init__  # type: ignore[method-assign]
    StreamRecord.to_json = to_json  # type: ignore[method-assign]


def track_only_what_moto_reads() -> None:
    """moto's BaseModel appends every instance of every model class to its class's `instances_tracked`
    for good: each DynamoDB Item (the copies an Update makes included: four per echo run), each stream
    record, each Lambda invocation's models. moto reads that register for its dashboard (the
    /moto-api/ the local stack doesn't serve) and, for S3's keys and multipart uploads, to close their
    buffers on reset; so only those two classes are registered, and the other instances live as long
    as the state that holds them."""
    from moto.core.common_models import BaseModel
    from moto.s3.models import FakeKey, FakeMultipart

    original = BaseModel.__new__
    if getattr(original, "_tracks_only_what_is_read", False):
        return
    read = (FakeKey, FakeMultipart)

    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if issubclass(cls, read):
            return original(cls, *args, **kwargs)
        return object.__new__(cls)

    __new__._tracks_only_what_is_read = True  # type: ignore[attr-defined]
    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]


# mallopt's M_ARENA_MAX (malloc.h).
M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name is not None else None


def share_malloc_arenas() -> None:
    """Have the process's threads share MALLOC_ARENAS glibc arenas (elsewhere a no-op). Call before
    the stack starts its threads."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def share_service_models() -> None:
    """One botocore data loader for every session of this process (per data path): sessions then share
    the service models it parses, as the clients of one session do."""
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "_shared", False):
        return
    shared = functools.cache(botocore.loaders.create_loader)
    shared._shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared


def release_freed_memory() -> None:
    """Collect garbage and return the C heap's free pages to the system (glibc; elsewhere a no-op)."""
    gc.collect()
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def freeze_start_up_objects() -> None:
    """Move every object alive now out of the cyclic GC's generations (gc.freeze), after a collection
    (release_freed_memory's). They are start-up's long-lived state, which full collections walked
    every time (bench/reports/gc_freeze.md, gc_both.md). Reference counting
    still frees them; only a cycle among them that later becomes garbage stays."""
    gc.freeze()


# Container allocations between collections of the youngest generation (Python's default: 700).
YOUNG_THRESHOLD = 20_000


def collect_young_objects_less_often() -> None:
    """Collect the youngest generation every YOUNG_THRESHOLD allocations. Each of the stack's requests
    allocates thousands of containers; at 700, a collection came every few hundred microseconds and
    promoted whatever the requests in flight held, so the old generations filled with objects about to
    die and full collections came often: 4.5 -> 1.0 ms of GC per echo run (bench/reports/gc_threshold.md).
    Reference counting frees what isn't in a cycle as before; cyclic garbage waits a little longer."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
