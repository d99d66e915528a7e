"""A Merkle tree over the audit events, as transparency logs build theirs (RFC 9162, section 2.1).

Pure functions, shared by the checkpoint writer, `audit_verify` and the evidence bundle's proofs, and simple
enough to recompute with `sha256sum` (docs/provenance.md, "Checking the audit trail with outside tools"):

    leaf(event) = SHA-256(0x00 || "<event hash hex>:<actor id or empty>")
    node(l, r)  = SHA-256(0x01 || l || r)
    root of n leaves: split at the largest power of two k < n, root = node(root(first k), root(rest))

The leaf covers the actor's user id as well as the event hash (which covers the actor's name but not the
account row it points to), so re-attributing an event to another account changes the tree.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def leaf_hash(event_hash: str, actor_id: int | None) -> bytes:
    return hashlib.sha256(b"\x00" + f"{event_hash}:{'' if actor_id is None else actor_id}".encode()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


@dataclass
class Frontier:
    """The roots of the perfect subtrees that make up a tree of `size` leaves, largest first: enough to append
    leaves and compute the root without the earlier leaves (a checkpoint stores it, the next one goes on)."""

    size: int = 0
    subtrees: list[tuple[int, bytes]] = field(default_factory=list)  # (number of leaves, root)

    def append(self, leaf: bytes) -> None:
        self.subtrees.append((1, leaf))
        self.size += 1
        while len(self.subtrees) > 1 and self.subtrees[-1][0] == self.subtrees[-2][0]:
            (n, right), (_, left) = self.subtrees.pop(), self.subtrees.pop()
            self.subtrees.append((2 * n, node_hash(left, right)))

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self.subtrees:
            return EMPTY_ROOT
        acc = self.subtrees[-1][1]
        for _, subtree in reversed(self.subtrees[:-1]):
            acc = node_hash(subtree, acc)
        return acc

    def as_list(self) -> list[list[int | str]]:
        return [[n, h.hex()] for n, h in self.subtrees]

    @classmethod
    def from_list(cls, data: list[list[int | str]]) -> Frontier:
        subtrees = [(int(n), bytes.fromhex(str(h))) for n, h in data]
        return cls(size=sum(n for n, _ in subtrees), subtrees=subtrees)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `leaves` (RFC 9162, 2.1.3.1), bottom up."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), root(leaves[:k])]


def root_from_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162, 2.1.3.2); compare it with a checkpoint's root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn, acc = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            acc = node_hash(sibling, acc)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            acc = node_hash(acc, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    return acc
