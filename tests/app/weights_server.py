#!/usr/bin/env python3
"""Loopback HTTP server for the weights-download tests (standard library only).

Usage: weights_server.py DIR
Serves the files in DIR on 127.0.0.1 at a free port and prints "PORT <n>" on
stdout. It exits when its stdin is closed (so it never outlives the test).

  /f/NAME   the file: 200 with all of it, or 206 for "Range: bytes=N-" when ranges
            are on and If-Range (if sent) matches the ETag; 404 if it does not exist
  /set?range=0|1&cut=0|1&slow=0|1   change the behaviour (answers "ok"):
            range: honour Range requests (default 1)
            cut:   the next full (non-Range) answer announces the whole length, sends
                   half of it and drops the connection (then cut resets to 0)
            slow:  send 4 KiB every 0.2 s
  /set?fail=CODE   answer every file request with that HTTP status (0: off)
  /log      JSON list of the file requests seen so far: {"path", "range", "if_range"}
"""
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
LOG = []
LOG_LOCK = threading.Lock()
STATE = {"range": True, "cut": False, "slow": False, "fail": 0}


def etag_of(data):
    return '"%s"' % hashlib.sha256(data).hexdigest()[:16]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def send_plain(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        if self.path == "/log":
            with LOG_LOCK:
                body = json.dumps(LOG)
            self.send_plain(200, body)
            return
        if self.path.startswith("/set?"):
            with LOG_LOCK:
                for kv in self.path[len("/set?"):].split("&"):
                    k, v = kv.split("=")
                    STATE[k] = int(v) if k == "fail" else v == "1"
            self.send_plain(200, "ok")
            return
        with LOG_LOCK:
            LOG.append({"path": self.path, "range": self.headers.get("Range"),
                        "if_range": self.headers.get("If-Range")})
            honour_range, slow, fail = STATE["range"], STATE["slow"], STATE["fail"]
        if fail:
            self.send_plain(fail, "failing on purpose")
            return
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "f":
            self.send_plain(404, "not found")
            return
        name = parts[2]
        path = os.path.join(ROOT, name)
        if "/" in name or not os.path.isfile(path):
            self.send_plain(404, "not found")
            return
        with open(path, "rb") as f:
            data = f.read()
        etag = etag_of(data)
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        start = 0
        if rng and honour_range and (if_range is None or if_range == etag):
            if not (rng.startswith("bytes=") and rng.endswith("-")):
                self.send_plain(416, "bad range")
                return
            start = int(rng[len("bytes="):-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        if honour_range:
            self.send_header("Accept-Ranges", "bytes")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with LOG_LOCK:
            cut = STATE["cut"] and start == 0
            if cut:
                STATE["cut"] = False
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            # Drop the connection without finishing the body.
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if slow:
            try:
                for i in range(0, len(body), 4096):
                    self.wfile.write(body[i:i + 4096])
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
