"""A TCP proxy on 127.0.0.1 in front of a server, that cuts one connection after a
number of bytes of a chosen request or of its answer: a registry or web server dying in
the middle of a transfer."""
import re
import socket
import threading


class CuttingProxy:
    """Forwards every connection to `upstream` ("host:port"). After cut(pattern, after,
    direction), the first request whose bytes match the regex `pattern` is cut once:
    its connection is closed after `after` bytes of the request (direction "request",
    counted from the match) or of the answer (direction "response")."""

    def __init__(self, upstream):
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._rule = None
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self, pattern, after, direction="response"):
        with self._lock:
            self._rule = (re.compile(pattern.encode()), after, direction)

    def close(self):
        self._listener.close()

    def _accept(self):
        while True:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            _Connection(self, client, socket.create_connection(self._upstream))

    def _take(self, data):
        """The rule (after, direction) when `data` starts the request to cut."""
        with self._lock:
            if self._rule is None:
                return None
            pattern, after, direction = self._rule
            match = pattern.search(data)
            if match is None:
                return None
            self._rule = None
            return after + (match.start() if direction == "request" else 0), direction

    def _cut(self):
        with self._lock:
            self.cuts += 1


class _Connection:
    def __init__(self, proxy, client, server):
        self._proxy = proxy
        self._client = client
        self._server = server
        self._budget = {"request": None, "response": None}
        self._closed = threading.Event()
        threading.Thread(target=self._pump, args=(client, server, "request"), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, "response"), daemon=True).start()

    def _pump(self, src, dst, direction):
        try:
            while not self._closed.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if direction == "request" and self._budget["request"] is None and \
                        self._budget["response"] is None:
                    rule = self._proxy._take(data)
                    if rule is not None:
                        self._budget[rule[1]] = rule[0]
                budget = self._budget[direction]
                if budget is not None and len(data) >= budget:
                    dst.sendall(data[:budget])
                    self._proxy._cut()
                    break
                if budget is not None:
                    self._budget[direction] = budget - len(data)
                dst.sendall(data)
        except OSError:
            pass
        self._close()

    def _close(self):
        self._closed.set()
        for sock in (self._client, self._server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
