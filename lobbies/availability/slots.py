"""A set of slot numbers held as one int bitmap (bit i = slot i): how marks stay in memory.

Stored as MSB-first bitmaps (grid.py's encode_bitmap); read once into an int, which
takes a few hundred bytes for a month of 15-minute slots where a set of ints takes tens of
kilobytes. It reads as a set (membership, iteration, comparison with a frozenset), so code
that asks about a few slots needs no conversion, and the heatmap and best times work on the
int itself (lobbies/availability/windows.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from lobbies.availability.grid import bits_of

# Byte b with its bits in reverse order: MSB-first bytes read as a little-endian int.
_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


class SlotSet(AbstractSet):
    """An immutable set of slot numbers over an int bitmap."""

    __slots__ = ("mask",)

    def __init__(self, mask: int = 0) -> None:
        if mask < 0:
            raise ValueError("A slot bitmap cannot be negative.")
        object.__setattr__(self, "mask", mask)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SlotSet is immutable.")

    @classmethod
    def from_bitmap(cls, data: bytes, length: int) -> SlotSet:
        """A stored bitmap (encode_bitmap's bytes) of a grid of `length` slots; ValueError
        when its size does not fit or bits are set beyond the grid."""
        if len(data) != (length + 7) // 8:
            raise ValueError(f"Expected {(length + 7) // 8} bytes for {length} slots.")
        mask = int.from_bytes(bytes(data).translate(_REVERSED), "little")
        if mask >> length:
            raise ValueError(f"Bits are set beyond the grid's {length} slots.")
        return cls(mask)

    @classmethod
    def _from_iterable(cls, slots: Iterable[int]) -> SlotSet:
        mask = 0
        for slot in slots:
            mask |= 1 << slot
        return cls(mask)

    def __contains__(self, slot: object) -> bool:
        return isinstance(slot, int) and slot >= 0 and bool(self.mask >> slot & 1)

    def __iter__(self) -> Iterator[int]:
        return bits_of(self.mask)

    def __len__(self) -> int:
        return self.mask.bit_count()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SlotSet):
            return self.mask == other.mask
        return super().__eq__(other)

    def __hash__(self) -> int:
        # Equal to the frozenset of the same slots, so it must hash like it.
        return hash(frozenset(self))

    def __reduce__(self):
        return (SlotSet, (self.mask,))

    def __repr__(self) -> str:
        return f"SlotSet({sorted(self)!r})"

    # Set algebra between two SlotSets stays on the ints.
    def __and__(self, other):
        if isinstance(other, SlotSet):
            return SlotSet(self.mask & other.mask)
        return super().__and__(other)

    def __or__(self, other):
        if isinstance(other, SlotSet):
            return SlotSet(self.mask | other.mask)
        return super().__or__(other)

    def __sub__(self, other):
        if isinstance(other, SlotSet):
            return SlotSet(self.mask & ~other.mask)
        return super().__sub__(other)


EMPTY = SlotSet()
