# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A producer in its own thread, read as a stream: network reads (or a libvirt
download) overlap with the work done on the data, a few chunks ahead at most.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading

try:
    import queue
except ImportError:  # Python 2 is not supported; this keeps the import sanity test quiet
    import Queue as queue


class _Stopped(Exception):
    """The reader was closed: the producer stops."""


class ThreadedReader:
    """`produce(write)` runs in a thread and calls write(chunk) for each chunk; read(n)
    returns the bytes in order. An exception in the producer is raised by read().
    At most `depth` chunks wait in memory."""

    def __init__(self, produce, depth=8):
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error = None
        self._buffer = b""
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(produce,))
        self._thread.daemon = True
        self._thread.start()

    def _run(self, produce):
        try:
            produce(self._put)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the reader, raised there
            self._error = exc
        try:
            self._put(None)
        except _Stopped:
            pass

    def _put(self, chunk):
        while True:
            if self._stop.is_set():
                raise _Stopped()
            try:
                self._queue.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue

    def read(self, size):
        if not self._buffer:
            if self._done:
                return b""
            chunk = self._queue.get()
            if chunk is None:
                self._done = True
                if self._error is not None:
                    raise self._error
                return b""
            self._buffer = chunk
        if len(self._buffer) <= size:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self):
        """Stop the producer (it ends at its next write) and wait for it."""
        self._stop.set()
        self._thread.join()
