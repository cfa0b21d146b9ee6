"""The story index's key table: an open-addressing multimap from 32-bit keys to 24-bit story slots.

One uint32 array, no Python object per key (streams/dedup.py explains the layout's memory budget).
Lookups and inserts work on all of one story's keys at once, in whole-array numpy steps: at ~65 keys
per story the fixed cost of each numpy call is what matters, so the calls per article are few.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from streams.fingerprint import NUM_PERM

__all__ = ["LSH_SLOTS", "MAX_STORIES", "NO_SLOT", "KeyTable", "Probe"]

LSH_SLOTS = min(NUM_PERM, 128)
"""Slots the LSH bands are cut from; verification compares all NUM_PERM."""

_WINDOW = np.arange(16)
_EMPTY = np.uint32(0xFFFF_FFFF)
_TOMB = np.uint32(0xFFFF_FFFE)
_SLOT_MASK = np.uint32(0x00FF_FFFF)
MAX_STORIES = 0x00FF_FFFE
"""Slots are 24 bits; the two highest values mark empty and deleted cells."""


_ROWS = np.arange(LSH_SLOTS + 1)
_PROBE_WIDTH = 32
"""`probe` reads 32 cells per key: a run of 16 occupied cells is common at 60 % load, one of 32 is not."""
_PROBE_OFFSETS = np.tile(np.arange(_PROBE_WIDTH), _ROWS.size)
_ROW_STARTS = _ROWS * _PROBE_WIDTH
NO_SLOT = 0x00FF_FFFE
"""Slots are below this; the value a tombstone's cell carries (`KeyTable.probe` may return it)."""


class Probe(NamedTuple):  # a tuple: built once per article, cheaper than a frozen dataclass
    """One story's keys looked up: the hits, and the windows read (valid while the table's version holds)."""

    version: int
    keys: npt.NDArray[np.uint64]
    homes: npt.NDArray[np.intp]
    tags: npt.NDArray[np.uint32]
    """Each key's tag, shifted to the cell's top byte."""
    cells: npt.NDArray[np.uint32]
    found: list[int]


class KeyTable:
    """Open-addressing multimap from 32-bit keys to slots, linear probing, in one uint32 array.

    A cell is the key's low 8 bits (a tag) and a 24-bit slot; the key's high bits pick the home
    cell. A lookup reads a 16-cell window per key (one or two cache lines) and may return a slot
    whose tag matched by chance (1 in 256 per occupied cell it reads): callers verify candidates.
    The last cell is always empty, so every probe ends.
    """

    def __init__(self) -> None:
        self._reset(1024)

    def _reset(self, size: int) -> None:
        self.size = size
        self.used = 0
        """Cells holding a key or a tombstone."""
        self.cells = np.full(size + _WINDOW.size + 1, _EMPTY, dtype=np.uint32)
        self.version = 0
        """Bumped by every write: a `Probe` read before it no longer describes the cells."""

    @property
    def crowded(self) -> bool:
        return self.used > 0.7 * self.size

    def _home(self, keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
        return ((keys.astype(np.uint64) * np.uint64(self.size)) >> np.uint64(32)).astype(np.intp)

    def _windows(self, starts: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
        index = starts[:, None] + _WINDOW
        return index, self.cells.take(index, mode="clip")  # past the end reads the last cell: always empty

    def find(self, keys: npt.NDArray[np.uint32]) -> list[npt.NDArray[np.uint32]]:
        """Slots stored under these keys (plus the odd tag collision), possibly repeated."""
        return self._scan(keys, None)

    def delete(self, keys: npt.NDArray[np.uint32], slot: int) -> None:
        self.version += 1
        self._scan(keys, slot)

    def probe(self, keys: npt.NDArray[np.uint64]) -> Probe:
        """`find` for one story's keys in a few whole-array steps, keeping what `insert_probed` needs.

        The same cells as `_scan`: each key's run from its home to the first empty cell, read in one
        window of `_PROBE_WIDTH` cells per key; hits are run cells whose tag matches. A run longer
        than the window goes on in `_rest_of_run`.
        """
        homes = (keys.view(np.int64) * self.size) >> 32
        width = _PROBE_WIDTH
        tags = (keys & np.uint64(0xFF)).astype(np.uint32) << np.uint32(24)
        _, cells, limit = self._read_runs(homes, width)
        found = self._hits(cells, tags.repeat(width), None, width, limit)
        if limit.max() == width:  # a run longer than the window (no empty cell in it): follow it
            for row in np.flatnonzero(limit == width).tolist():
                found.extend(self._rest_of_run(int(homes[row]) + width, int(tags[row]), None))
        return Probe(self.version, keys, homes, tags, cells, found)

    def _rest_of_run(self, start: int, wanted: int, delete: int | None) -> list[int]:
        """One key's run from `start` on, in slices that widen (a run of one often-repeated key can be
        thousands of cells): the slots whose tag is `wanted` (tag << 24), or with `delete`, those
        cells holding that slot become tombstones."""
        cells = self.cells
        found: list[int] = []
        step = 256
        while True:
            part = cells[start : start + step]
            empty = np.flatnonzero(part == _EMPTY)
            run = part[: empty[0]] if empty.size else part
            if delete is None:
                values = run[np.flatnonzero((run & ~_SLOT_MASK) == wanted)].tolist()
                found.extend(v & 0xFF_FFFF for v in values if v < _TOMB)
            else:
                cells[start + np.flatnonzero(run == (wanted | delete))] = _TOMB
            if empty.size:  # the last cell is always empty: every run ends
                return found
            start += part.size
            step *= 4

    def _read_runs(
        self, starts: npt.NDArray[np.intp], width: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
        """Each start's next `width` cells, flat (row after row), and per row how many of them lie
        before the first empty cell (`width` where there is none: the run goes on).

        Flat arrays of one shape throughout: numpy's broadcasting over a short inner axis, and
        accumulate along it, cost a few µs per row."""
        rows = starts.size
        if width == _PROBE_WIDTH and rows <= _ROWS.size:
            offsets, row_starts = _PROBE_OFFSETS[: rows * width], _ROW_STARTS[:rows]
        else:
            offsets, row_starts = np.tile(np.arange(width), rows), _ROWS[:rows] * width
        index = starts.repeat(width) + offsets
        cells = self.cells.take(index, mode="clip")  # past the end reads the last cell: always empty
        empty = cells == _EMPTY
        first = empty.reshape(rows, width).argmax(axis=1)
        ended = empty.take(row_starts + first)
        limit: npt.NDArray[np.intp] = np.where(ended, first, width)
        return index, cells, limit

    @staticmethod
    def _hits(
        cells: npt.NDArray[np.uint32],
        wanted: npt.NDArray[np.uint32],
        exact: int | None,
        width: int,
        limit: npt.NDArray[np.intp],
    ) -> list[int]:
        """Slots of the run cells whose tag is `wanted` (whose whole value, when `exact` is the slot);
        for a delete, the flat positions of those cells instead."""
        if exact is None:
            positions = np.flatnonzero((cells & ~_SLOT_MASK) == wanted).tolist()
        else:
            positions = np.flatnonzero(cells == (wanted | np.uint32(exact))).tolist()
        if not positions:
            return []
        limits = limit.tolist()
        kept = [p for p in positions if p % width < limits[p // width]]
        if exact is not None:
            return kept
        values = cells.take(kept).tolist() if kept else []
        return [v & 0xFF_FFFF for v in values if v < _TOMB]

    def insert_probed(self, probe: Probe, slot: int) -> None:
        """`insert` of the probed keys, cell for cell, its first round from the cells the probe read.

        In `insert`'s rounds each key takes the first free cell of its 16-cell window; of two keys
        after one cell the first takes it and the other tries again next round; a key whose window
        is full moves on 16 cells. When every key finds a cell of its own at once (the usual case),
        that is one write; otherwise `_insert_rounds` plays the rounds out for the few keys left.
        """
        if probe.version != self.version:
            self.insert(probe.keys.astype(np.uint32), slot)
            return
        count = probe.keys.size
        values = probe.tags | np.uint32(slot)
        free = probe.cells >= _TOMB  # empty or deleted
        first = free.reshape(count, _PROBE_WIDTH)[:, : _WINDOW.size].argmax(axis=1)
        chosen = _ROW_STARTS[:count] + first
        where = probe.homes + first
        self.version += 1
        ok = free.take(chosen)
        every = bool(ok.all())
        wanted = where.tolist() if every else where[ok].tolist()
        if wanted and max(wanted) >= self.cells.size - 1:  # a run reached the end: `insert`'s way, cell by cell
            self._insert_rounds(probe.homes.tolist(), values.tolist())
            return
        take = ok
        if len(set(wanted)) < len(wanted):  # two keys, one free cell: the first takes it, the other waits
            _, first_seen = np.unique(where[ok], return_index=True)
            take = np.zeros_like(ok)
            take[np.flatnonzero(ok)[first_seen]] = True
        elif every:  # the usual case: one write
            self.used += int(np.count_nonzero(probe.cells.take(chosen) == _EMPTY))
            self.cells[where] = values
            return
        self.used += int(np.count_nonzero(probe.cells.take(chosen[take]) == _EMPTY))
        self.cells[where[take]] = values[take]
        waiting = ~take
        self._insert_rounds(
            np.where(ok, probe.homes, probe.homes + _WINDOW.size)[waiting].tolist(), values[waiting].tolist()
        )

    def _insert_rounds(self, starts: list[int], values: list[int]) -> None:
        """`_insert_from`'s rounds for a few keys, skipping the rounds in which every window is full.

        Cells only fill up during an insert, so until the next write each key's first free cell at or
        after its window (`free`) is fixed, and so is the round in which its window reaches it: the
        rounds before the earliest of those change nothing but the windows' starts.
        """
        width = _WINDOW.size
        free = [self._first_free(start) for start in starts]
        while starts:
            skip = min((cell - start) // width for start, cell in zip(starts, free, strict=True))
            if skip:
                starts = [start + skip * width for start in starts]
            ok = [cell < start + width for start, cell in zip(starts, free, strict=True)]
            if max(cell for cell, found in zip(free, ok, strict=True) if found) >= self.cells.size - 1:
                self.cells = np.concatenate([self.cells, np.full(2 * width, _EMPTY, dtype=np.uint32)])
                continue  # a run reached the end: room for more, and the round again
            taken: dict[int, int] = {}
            waiting: list[int] = []
            waiting_values: list[int] = []
            waiting_free: list[int] = []
            for start, value, cell, found in zip(starts, values, free, ok, strict=True):
                if found and cell not in taken:
                    taken[cell] = value
                    continue
                waiting.append(start if found else start + width)  # lost the cell: again; a full window: on
                waiting_values.append(value)
                waiting_free.append(cell)
            cells = self.cells
            for cell, value in taken.items():
                if cells.item(cell) == _EMPTY:
                    self.used += 1
                cells[cell] = value
            starts, values = waiting, waiting_values
            free = [self._first_free(cell + 1) if cell in taken else cell for cell in waiting_free]

    def _first_free(self, start: int) -> int:
        """The first empty or deleted cell at or after `start` (the last cell is always empty)."""
        cells = self.cells
        read = cells.item
        for cell in range(start, min(start + 8, cells.size)):
            if read(cell) >= _TOMB:
                return cell
        start += 8
        step = 64
        while True:
            hits = np.flatnonzero(cells[start : start + step] >= _TOMB)
            if hits.size:
                return start + int(hits[0])
            start += step
            step = min(4 * step, 8192)

    def _scan(self, keys: npt.NDArray[np.uint32], delete: int | None) -> list[npt.NDArray[np.uint32]]:
        """Each key's run from its home to the first empty cell: the slots whose tag matches, or with
        `delete`, those cells holding that slot become tombstones."""
        width = _PROBE_WIDTH
        tags = (keys & np.uint32(0xFF)) << np.uint32(24)
        starts = self._home(keys)
        index, cells, limit = self._read_runs(starts, width)
        hits = self._hits(cells, tags.repeat(width), delete, width, limit)
        if delete is None:
            found = hits
        elif hits:
            self.cells[index.take(hits)] = _TOMB
        if limit.max() == width:  # runs longer than the window
            for row in np.flatnonzero(limit == width).tolist():
                more = self._rest_of_run(int(starts[row]) + width, int(tags[row]), delete)
                if delete is None:
                    found.extend(more)
        return [np.array(found, dtype=np.uint32)] if delete is None else []

    def insert(self, keys: npt.NDArray[np.uint32], slot: int) -> None:
        self.version += 1
        values = ((keys & np.uint32(0xFF)) << np.uint32(24)) | np.uint32(slot)
        self._insert_from(self._home(keys), values)

    def _insert_from(self, starts: npt.NDArray[np.intp], values: npt.NDArray[np.uint32]) -> None:
        while True:
            index, cells = self._windows(starts)
            free = cells >= _TOMB  # empty or deleted
            first = free.argmax(axis=1)
            rows = np.arange(starts.size)
            where, ok = index[rows, first], free[rows, first]
            if ok.any() and where[ok].max() >= self.cells.size - 1:  # a run reached the end: room for more
                self.cells = np.concatenate([self.cells, np.full(2 * _WINDOW.size, _EMPTY, dtype=np.uint32)])
                continue
            take = ok.copy()
            targets = where[ok].tolist()
            if len(set(targets)) < len(targets):  # two keys, one free cell: the first takes it, the other waits
                _, first_seen = np.unique(where[ok], return_index=True)
                take[:] = False
                take[np.flatnonzero(ok)[first_seen]] = True
            self.used += int(np.count_nonzero(cells[rows[take], first[take]] == _EMPTY))
            self.cells[where[take]] = values[take]
            if take.all():
                return
            starts = np.where(ok, starts, starts + _WINDOW.size)[~take]
            values = values[~take]

    def load(self, keys: npt.NDArray[np.uint32], slots: npt.NDArray[np.intp]) -> None:
        """Replace the contents in one pass: sorted by home cell, each key takes the next free cell."""
        version = self.version
        self._reset(max(1024, int(keys.size / 0.45)))
        self.version = version + 1
        if keys.size == 0:
            return
        home = self._home(keys)
        rank = np.arange(keys.size)
        bits = int(keys.size).bit_length()
        if int(home.max()).bit_length() + bits <= 62:
            # The stable order by home as one sort of distinct integers (home, then position): the
            # default sort of int64 (vectorised here) is several times faster than a stable argsort.
            order = np.sort((home << bits) | rank) & ((1 << bits) - 1)
        else:
            order = np.argsort(home, kind="stable")
        where = np.maximum.accumulate(home[order] - rank) + rank
        if where[-1] + 1 > self.size:
            self.cells = np.full(int(where[-1]) + 1 + _WINDOW.size + 1, _EMPTY, dtype=np.uint32)
        values = ((keys & np.uint32(0xFF)) << np.uint32(24)) | slots.astype(np.uint32)
        self.cells[where] = values[order]
        self.used = int(keys.size)
