"""moto server, as `make dev`, the end-to-end run and the moto tests start it, with two fixes to
its timing and one that makes it behave as DynamoDB does:

- its HTTP server writes headers and body apart; with Nagle's algorithm on, each AWS call
  waits out the client's delayed ACK (40 ms), which AWS itself never adds;
- TransactWriteItems deep-copies the whole table once per item of the transaction, to roll
  back on failure: a cost that grows with the table (the activity log fills it), which
  DynamoDB does not have. Here the copy shares every item the transaction does not name and
  deep-copies the ones it does, so a rollback restores exactly what a full copy would;
- DynamoDB applies each write, and each transaction, atomically. moto's threaded server does
  not: a transaction whose condition fails restores the tables it copied before it ran,
  erasing a write another thread committed meanwhile (two concurrent backup-code uses could
  then hand out one code twice). Here writes to DynamoDB run one at a time;
- a Query on a table (not an index) sorts every item of the table to find one partition's:
  on a table a fuzzer has filled, each read takes hundreds of milliseconds, where DynamoDB
  reads the partition alone. Here such a Query starts from its partition's items.

Usage: python scripts/moto_server.py -H 127.0.0.1 -p PORT
"""

import copy
import inspect
import socketserver
import sys
import threading
from collections import defaultdict

import moto.dynamodb.models as models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import main

socketserver.StreamRequestHandler.disable_nagle_algorithm = True

# The keys the transaction in progress names, per table, for the copy below.
_named = threading.local()


def _named_keys(transact_items):
    keys = defaultdict(list)
    for item in transact_items:
        _, op = next(iter(item.items()))
        key = op.get("Key") or op.get("Item") or {}
        keys[op.get("TableName")].append(key)
    return keys


class _CopyNamedItems:
    """Stands in for `copy` inside moto's DynamoDB models: a table is copied with its item
    maps rebuilt and only the named items deep-copied; anything else as `copy` would."""

    @staticmethod
    def deepcopy(value, *args):
        if not isinstance(value, Table):
            return copy.deepcopy(value, *args)
        snapshot = copy.copy(value)
        snapshot.items = defaultdict(
            dict, {h: (dict(r) if isinstance(r, dict) else r) for h, r in value.items.items()}
        )
        for key in getattr(_named, "keys", {}).get(value.name, []):
            hash_value = key.get(value.hash_key_attr)
            if hash_value is None:
                continue
            hash_key = DynamoType(hash_value)
            if value.range_key_attr:
                range_value = key.get(value.range_key_attr)
                row = value.items.get(hash_key)
                if range_value is not None and isinstance(row, dict):
                    range_key = DynamoType(range_value)
                    if range_key in row:
                        snapshot.items[hash_key][range_key] = copy.deepcopy(row[range_key])
            elif hash_key in value.items:
                snapshot.items[hash_key] = copy.deepcopy(value.items[hash_key])
        return snapshot

    def __getattr__(self, name):
        return getattr(copy, name)


_original = DynamoDBBackend.transact_write_items
# One writer at a time (re-entrant: a transaction's own writes go through the same methods).
_writes = threading.RLock()


def _transact_write_items(self, transact_items):
    with _writes:
        _named.keys = _named_keys(transact_items)
        try:
            return _original(self, transact_items)
        finally:
            _named.keys = {}


def _one_at_a_time(method):
    def serialized(self, *args, **kwargs):
        with _writes:
            return method(self, *args, **kwargs)
    return serialized


for _name in ("put_item", "update_item", "delete_item", "batch_write_item"):
    if hasattr(DynamoDBBackend, _name):
        setattr(DynamoDBBackend, _name, _one_at_a_time(getattr(DynamoDBBackend, _name)))


# The partition a Query on a table reads, per thread, for all_items below.
_partition = threading.local()
_query = Table.query
_query_signature = inspect.signature(_query)
_all_items = Table.all_items


def _partition_query(self, *args, **kwargs):
    bound = _query_signature.bind(self, *args, **kwargs).arguments
    if bound.get("index_name") is not None or bound.get("hash_key") is None:
        return _query(self, *args, **kwargs)
    _partition.scope = (self, bound["hash_key"])
    try:
        return _query(self, *args, **kwargs)
    finally:
        _partition.scope = None


def _items_in_scope(self):
    """All items, or, inside a Query on this table, its partition's: moto's Query then keeps
    those whose hash key matches, which are all of them, in the order all_items gives."""
    scope = getattr(_partition, "scope", None)
    if scope is None or scope[0] is not self:
        return _all_items(self)
    row = self.items.get(scope[1])
    if row is None:
        return []
    if not self.range_key_attr:
        return [row]
    return sorted(row.values(), key=lambda item: item.range_key)


Table.query = _partition_query
Table.all_items = _items_in_scope
models.copy = _CopyNamedItems()
DynamoDBBackend.transact_write_items = _transact_write_items

if __name__ == "__main__":
    main(sys.argv[1:])
