#!/usr/bin/env python3
"""Server-Sent Events fan-out test for `gradscope serve` (Python stdlib only).

Submits one training job (or follows --job), opens N concurrent
`GET /api/jobs/{id}/events` streams over raw sockets and checks that every
client receives every `step` event, in order, with no gap and no duplicate.
Measures the delivery lag of each event: the client's receive time minus the
server's send time, from the `: t=<unix ms>` comment the server writes before
each event. With --pid, also reports the server's peak RSS, CPU time, threads
and open files.

    python3 bench/http/sse_fanout.py --url http://127.0.0.1:8080 --clients 500 --pid "$(pgrep -nx gradscope)"
    python3 bench/http/sse_fanout.py --url http://127.0.0.1:8080 --clients 50 --steps 500 --json

Loopback only (the URL must resolve to 127.0.0.0/8 or ::1); bounded by
--timeout; exits 0 when every client connected and received every step
event, 1 otherwise, 2 on bad arguments.

Client and server share this machine's cores; the client's own CPU time is
printed so that a saturated client can be told apart from a slow server.
Receive times are taken when recv() returns, before parsing.
"""

import argparse
import array
import datetime
import errno
import http.client
import ipaddress
import json
import multiprocessing
import os
import resource
import selectors
import socket
import sys
import threading
import time
import urllib.parse

MAX_CLIENTS = 10000
MAX_TIMEOUT = 900
MAX_STEPS = 100000


def default_spec(steps):
    """A small MLP that records every step (step records of ~3.2 KB). The
    large batch makes a step take ~1 ms (`gradscope run`, 2 vCPU), so 2000
    steps last a few seconds and streams opened at once follow the job live
    rather than replaying a finished one; the record size depends on the
    layer count, not on the batch."""
    return {
        "name": "sse fan-out",
        "seed": 1,
        "data": {"source": "spirals", "samples": 10000, "classes": 3},
        "mlp": {"depth": 2, "width": 64},
        "optimizer": {"type": "sgd", "lr": 0.05},
        "training": {"steps": steps, "batch_size": 1024},
        "diagnostics": {"every": 1, "bins": 16},
    }


# --------------------------------------------------------------------------
# One SSE client: a non-blocking socket driven by a selector.


class Client:
    __slots__ = (
        "idx", "sock", "state", "hbuf", "chunked", "chunk_left", "need_crlf",
        "raw", "sse", "status_code", "content_type", "error", "steps",
        "first_id", "last_id", "gaps", "disorder", "missing_id", "ids_on_other",
        "pending_t", "lags", "no_t", "first_event", "events", "final_status",
        "got_report", "clean_end", "t_start", "t_headers", "t_end",
        "first_step_ok", "cur_data", "cur_event", "cur_id",
    )

    def __init__(self, idx):
        self.idx = idx
        self.sock = None
        self.state = "connecting"   # connecting, headers, body, done
        self.hbuf = bytearray()
        self.chunked = False
        self.chunk_left = 0          # data bytes left in the current chunk
        self.need_crlf = False       # the CRLF after a chunk's data is pending
        self.raw = bytearray()       # body bytes not yet de-chunked
        self.sse = bytearray()       # de-chunked bytes not yet parsed
        self.status_code = None
        self.content_type = None
        self.error = None
        self.steps = 0
        self.first_id = None
        self.last_id = None
        self.gaps = 0                # id jumped by more than one
        self.disorder = 0            # id not greater than the previous one
        self.missing_id = 0          # step event without id
        self.ids_on_other = 0        # id on a non-step event (the API sets it on steps only)
        self.pending_t = None
        self.lags = array.array("d")
        self.no_t = 0                # events without a preceding `: t=` comment
        self.first_event = None
        self.events = {}
        self.final_status = None
        self.got_report = False
        self.clean_end = False
        self.t_start = None
        self.t_headers = None
        self.t_end = None
        self.first_step_ok = None
        self.cur_data = None         # the event being read: data, type, id
        self.cur_event = None
        self.cur_id = None

    # -- bytes in ----------------------------------------------------------
    def feed(self, data, now_ms):
        if self.state == "headers":
            self.hbuf += data
            end = self.hbuf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.hbuf) > 65536:
                    self.fail("response headers too large")
                return
            head = bytes(self.hbuf[:end]).decode("latin-1")
            rest = bytes(self.hbuf[end + 4:])
            self.hbuf = bytearray()
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            try:
                self.status_code = int(parts[1])
            except (IndexError, ValueError):
                self.fail(f"bad status line {lines[0]!r}")
                return
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            self.content_type = headers.get("content-type", "")
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            self.t_headers = now_ms
            if self.status_code != 200:
                self.fail(f"HTTP {self.status_code}")
                return
            if not self.content_type.startswith("text/event-stream"):
                self.fail(f"content type {self.content_type!r}")
                return
            self.state = "body"
            data = rest
            if not data:
                return
        if self.state != "body":
            return
        if self.chunked:
            self.dechunk(data)
        else:
            self.sse += data
        self.parse(now_ms)

    def dechunk(self, data):
        """Appends the chunk payloads in `data` to self.sse; keeps a partial
        chunk header for the next call."""
        if self.raw:
            self.raw += data
            data = bytes(self.raw)
            self.raw = bytearray()
        mv = memoryview(data)
        n = len(data)
        i = 0
        while i < n:
            if self.chunk_left:
                take = min(self.chunk_left, n - i)
                self.sse += mv[i:i + take]
                i += take
                self.chunk_left -= take
                if self.chunk_left == 0:
                    self.need_crlf = True
                continue
            if self.need_crlf:
                if n - i < 2:
                    break
                if data[i:i + 2] != b"\r\n":
                    self.fail("bad chunk framing")
                    return
                i += 2
                self.need_crlf = False
                continue
            nl = data.find(b"\r\n", i)
            if nl < 0:
                if n - i > 1024:
                    self.fail("chunk size line too long")
                    return
                break
            size_text = data[i:nl].split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self.fail(f"bad chunk size {size_text!r}")
                return
            i = nl + 2
            if size == 0:
                # Last chunk: the stream ended as the server meant it to.
                self.clean_end = True
                self.state = "done"
                return
            self.chunk_left = size
        if i < n:
            self.raw += mv[i:]

    def parse(self, now_ms):
        """Parses the complete lines in self.sse (SSE: `field: value` lines,
        `:` comments, a blank line ends an event). Line by line with find(b"\n"),
        which is memchr: a 3 KB data line costs little more than a short one."""
        buf = self.sse
        if b"\r" in buf:
            # The SSE spec allows CRLF and CR line ends; gradscope sends LF.
            # A trailing CR waits for the next bytes: it may start a CRLF.
            keep = b"\r" if buf.endswith(b"\r") else b""
            text = bytes(buf[:len(buf) - len(keep)])
            buf = bytearray(text.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + keep)
            self.sse = buf
        pos = 0
        find = buf.find
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                break
            if nl == pos:
                self.dispatch(now_ms)
            elif buf[pos] == 58:  # ':' a comment
                if buf.startswith(b": t=", pos):
                    try:
                        self.pending_t = int(buf[pos + 4:nl])
                    except ValueError:
                        pass
            elif buf.startswith(b"data:", pos):
                v = pos + 5
                if v < nl and buf[v] == 32:
                    v += 1
                if self.cur_event == "step" and self.last_id is not None:
                    # Only the first step's data is read (its "step" must
                    # match its id); later ones need no copy.
                    self.cur_data = b""
                else:
                    value = bytes(buf[v:nl])
                    self.cur_data = value if self.cur_data is None else self.cur_data + b"\n" + value
            elif buf.startswith(b"event:", pos):
                self.cur_event = bytes(buf[pos + 6:nl]).strip().decode("utf-8", "replace")
            elif buf.startswith(b"id:", pos):
                self.cur_id = bytes(buf[pos + 3:nl]).strip()
            # Other fields (retry:, unknown ones) are ignored, as browsers do.
            pos = nl + 1
        if pos:
            del buf[:pos]

    def dispatch(self, now_ms):
        data, event, ev_id = self.cur_data, self.cur_event or "message", self.cur_id
        self.cur_data = self.cur_event = self.cur_id = None
        if data is None:
            return  # comments only (": ping", or a `t=` comment on its own)
        self.events[event] = self.events.get(event, 0) + 1
        if self.first_event is None:
            self.first_event = event
        if self.pending_t is not None:
            self.lags.append(now_ms - self.pending_t)
            self.pending_t = None
        else:
            self.no_t += 1
        if event == "step":
            self.steps += 1
            if ev_id is None:
                self.missing_id += 1
                return
            try:
                n = int(ev_id)
            except ValueError:
                self.missing_id += 1
                return
            last = self.last_id
            if last is None:
                self.first_id = n
                try:
                    self.first_step_ok = json.loads(data).get("step") == n
                except ValueError:
                    self.first_step_ok = False
                self.last_id = n
            elif n <= last:
                self.disorder += 1
            else:
                if n != last + 1:
                    self.gaps += 1
                self.last_id = n
        else:
            if ev_id is not None:
                self.ids_on_other += 1
            if event == "status":
                try:
                    self.final_status = json.loads(data).get("status")
                except ValueError:
                    self.final_status = "unparsable"
            elif event == "report":
                self.got_report = True

    def fail(self, why):
        if self.error is None:
            self.error = why
        self.state = "done"

    def summary(self):
        return {
            "idx": self.idx, "error": self.error, "status_code": self.status_code,
            "connected": self.t_headers is not None and self.status_code == 200,
            "steps": self.steps, "first_id": self.first_id, "last_id": self.last_id,
            "gaps": self.gaps, "disorder": self.disorder, "missing_id": self.missing_id,
            "ids_on_other": self.ids_on_other, "no_t": self.no_t,
            "first_event": self.first_event, "events": self.events,
            "final_status": self.final_status, "got_report": self.got_report,
            "clean_end": self.clean_end, "first_step_ok": self.first_step_ok,
            "t_start": self.t_start, "t_headers": self.t_headers, "t_end": self.t_end,
        }


def run_clients(host, port, path, indices, deadline, connect_timeout):
    """Runs the clients `indices` to their end or the deadline (unix s).
    Returns (summaries, lags as bytes of doubles, client CPU seconds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host if family == socket.AF_INET else '[' + host + ']'}:{port}\r\n"
        "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
        "User-Agent: gradscope-sse-fanout\r\n\r\n"
    ).encode()
    sel = selectors.DefaultSelector()
    clients = [Client(i) for i in indices]
    open_count = 0
    for c in clients:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        c.sock = s
        c.t_start = time.time() * 1000
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            c.fail(f"connect: {os.strerror(err)}")
            s.close()
            continue
        sel.register(s, selectors.EVENT_WRITE, c)
        open_count += 1

    def close(c):
        nonlocal open_count
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.t_end = time.time() * 1000
        if c.state != "done":
            c.state = "done"
        open_count -= 1

    recv_size = 1 << 18
    connect_checked = False
    while open_count > 0:
        now = time.time()
        if now >= deadline:
            for key in list(sel.get_map().values()):
                c = key.data
                if c.error is None and not c.clean_end:
                    c.error = "timeout"
                close(c)
            break
        for key, _ in sel.select(timeout=min(0.5, deadline - now)):
            c = key.data
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    c.fail(f"connect: {os.strerror(err)}")
                    close(c)
                    continue
                try:
                    c.sock.sendall(request)  # ~150 bytes: fits an empty send buffer
                except OSError as e:
                    c.fail(f"send: {e}")
                    close(c)
                    continue
                c.state = "headers"
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(recv_size)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                c.fail(f"recv: {e}")
                close(c)
                continue
            now_ms = time.time() * 1000
            if not data:
                if c.state == "body" and not c.chunked and c.got_report:
                    c.clean_end = True  # HTTP/1.0-style stream: closed after the report
                elif c.error is None and not c.clean_end:
                    c.error = "closed by the server before the end of the stream"
                close(c)
                continue
            c.feed(data, now_ms)
            if c.state == "done":
                close(c)
        # Connections still in connect after connect_timeout fail (checked once).
        if not connect_checked and time.time() * 1000 - clients[0].t_start > connect_timeout * 1000:
            connect_checked = True
            for key in list(sel.get_map().values()):
                c = key.data
                if c.state == "connecting":
                    c.fail("connect timeout")
                    close(c)
    sel.close()
    lags = array.array("d")
    for c in clients:
        lags.extend(c.lags)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return [c.summary() for c in clients], lags.tobytes(), ru.ru_utime + ru.ru_stime


def _worker(args, queue):
    try:
        queue.put(("ok", run_clients(*args)))
    except BaseException as e:  # report, never hang the parent
        queue.put(("error", repr(e)))


# --------------------------------------------------------------------------
# Server side: HTTP calls and /proc.


class Api:
    def __init__(self, host, port, token, timeout=10):
        self.host, self.port, self.token, self.timeout = host, port, token, timeout

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            headers = {"Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            if self.token and method in ("POST", "DELETE"):
                headers["Authorization"] = f"Bearer {self.token}"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, raw
        finally:
            conn.close()

    def json(self, method, path, body=None, expect=(200,)):
        try:
            status, raw = self.call(method, path, body)
        except OSError as e:
            raise SystemExit(f"sse_fanout: {method} {path} on {self.host}:{self.port}: {e}")
        if status not in expect:
            raise SystemExit(f"sse_fanout: {method} {path}: HTTP {status}: {raw[:500].decode('utf-8', 'replace')}")
        return json.loads(raw)


def proc_stats(pid):
    """Peak RSS, current RSS, threads, CPU seconds and open files of a process."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = int(v.split()[0]) // 1024  # MiB
                elif k == "Threads":
                    out[k] = int(v)
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, ValueError, IndexError) as e:
        out["error"] = str(e)
    return out


class Sampler(threading.Thread):
    """Peak threads and open files of the server while the test runs."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak_threads, self.peak_fds = pid, threading.Event(), 0, 0

    def run(self):
        while not self.stop.is_set():
            s = proc_stats(self.pid)
            self.peak_threads = max(self.peak_threads, s.get("Threads", 0))
            self.peak_fds = max(self.peak_fds, s.get("fds", 0))
            self.stop.wait(0.25)


def metric(api, name):
    """One unlabelled sample from /metrics, or None."""
    try:
        status, raw = api.call("GET", "/metrics")
    except OSError:
        return None
    if status != 200:
        return None
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            try:
                return float(line.split()[-1])
            except ValueError:
                return None
    return None


def iso_ms(text):
    """Unix ms of an ISO 8601 time, or None."""
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except (TypeError, ValueError):
        return None


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


# --------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080 (loopback only)")
    ap.add_argument("--clients", type=int, default=500, help=f"concurrent streams (1..{MAX_CLIENTS}, default 500)")
    ap.add_argument("--timeout", type=float, default=60, help=f"seconds for the whole test (max {MAX_TIMEOUT}, default 60)")
    ap.add_argument("--steps", type=int, default=2000, help="training steps of the submitted job (default 2000)")
    ap.add_argument("--spec", help="a job spec file to submit instead of the built-in one (diagnostics.every is forced to 1)")
    ap.add_argument("--job", help="follow this existing job instead of submitting one")
    ap.add_argument("--pid", type=int, help="the server's process id: report its peak RSS, CPU time, threads, open files")
    ap.add_argument("--procs", type=int, default=1, help="client processes the streams are spread over (default 1)")
    ap.add_argument("--token", default=os.environ.get("GRADSCOPE_TOKEN", ""), help="bearer token for the POST (default $GRADSCOPE_TOKEN)")
    ap.add_argument("--connect-timeout", type=float, default=10, help="seconds for all streams to connect (default 10)")
    ap.add_argument("--json", action="store_true", help="also print one JSON line with the results")
    a = ap.parse_args(argv)
    if not 1 <= a.clients <= MAX_CLIENTS:
        ap.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 0 < a.timeout <= MAX_TIMEOUT:
        ap.error(f"--timeout must be in (0, {MAX_TIMEOUT}]")
    if not 1 <= a.steps <= MAX_STEPS:
        ap.error(f"--steps must be 1..{MAX_STEPS}")
    if not 1 <= a.procs <= 16 or a.procs > a.clients:
        ap.error("--procs must be 1..16 and at most --clients")
    u = urllib.parse.urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        ap.error("--url must be http://HOST:PORT")
    a.host = u.hostname
    a.port = u.port or 80
    try:
        infos = socket.getaddrinfo(a.host, a.port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        ap.error(f"cannot resolve {a.host}: {e}")
    addrs = {info[4][0] for info in infos}
    if not addrs or not all(ipaddress.ip_address(x.split("%")[0]).is_loopback for x in addrs):
        ap.error(f"--url must be a loopback address (127.0.0.0/8 or ::1); {a.host} is {sorted(addrs)}")
    a.host = sorted(addrs)[0]  # connect to the address, not the name
    return a


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(argv):
    a = parse_args(argv)
    started = time.time()
    deadline = started + a.timeout
    nofile = raise_nofile(a.clients + 64)
    if nofile < a.clients + 16:
        raise SystemExit(f"sse_fanout: open-file limit {nofile} is too low for {a.clients} clients (hard limit reached)")

    api = Api(a.host, a.port, a.token)
    if a.pid:
        server_before = proc_stats(a.pid)
        if "error" in server_before:
            raise SystemExit(f"sse_fanout: --pid {a.pid}: {server_before['error']}")
        sampler = Sampler(a.pid)
        sampler.start()

    if a.job:
        job_id = a.job
    else:
        if a.spec:
            with open(a.spec) as f:
                spec = json.load(f)
            spec.setdefault("diagnostics", {})["every"] = 1
        else:
            spec = default_spec(a.steps)
        created = api.json("POST", "/api/jobs", spec, expect=(201,))
        job_id = created["id"]
    t_submitted = time.time() * 1000
    path = f"/api/jobs/{urllib.parse.quote(job_id)}/events"

    # Streams: in this process, or spread over --procs processes.
    indices = list(range(a.clients))
    summaries, lags, client_cpu = [], array.array("d"), 0.0
    if a.procs == 1:
        s, lag_bytes, cpu = run_clients(a.host, a.port, path, indices, deadline, a.connect_timeout)
        summaries, client_cpu = s, cpu
        lags.frombytes(lag_bytes)
    else:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        procs = []
        for k in range(a.procs):
            part = indices[k::a.procs]
            p = ctx.Process(target=_worker, args=((a.host, a.port, path, part, deadline, a.connect_timeout), queue))
            p.start()
            procs.append(p)
        for _ in procs:
            try:
                kind, payload = queue.get(timeout=max(1.0, deadline - time.time() + 30))
            except Exception:
                break
            if kind != "ok":
                print(f"sse_fanout: a client process failed: {payload}", file=sys.stderr)
                continue
            s, lag_bytes, cpu = payload
            summaries.extend(s)
            lags.frombytes(lag_bytes)
            client_cpu += cpu
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    t_done = time.time() * 1000

    # The job's final step, to compare with what each client received.
    job = api.json("GET", f"/api/jobs/{urllib.parse.quote(job_id)}")
    final_step = job.get("step")
    job_status = job.get("status")

    streams_open = None
    if not a.job:
        # Every stream closed: the server should count none open (bounded wait).
        for _ in range(20):
            streams_open = metric(api, "gradscope_streams_open")
            if not streams_open:
                break
            time.sleep(0.1)

    server_after = None
    if a.pid:
        sampler.stop.set()
        sampler.join(timeout=2)
        server_after = proc_stats(a.pid)

    # ---- results ----------------------------------------------------------
    connected = [s for s in summaries if s["connected"]]
    complete = [
        s for s in connected
        if final_step and s["steps"] == final_step and s["first_id"] == 1 and s["last_id"] == final_step
        and not (s["gaps"] or s["disorder"] or s["missing_id"]) and s["first_step_ok"]
    ]
    ended_clean = [s for s in connected if s["clean_end"] and s["got_report"]]
    start_first = [s for s in connected if s["first_event"] == "start"]
    errors = {}
    for s in summaries:
        if s["error"]:
            errors[s["error"]] = errors.get(s["error"], 0) + 1
    lag_sorted = sorted(lags)
    p50, p99 = percentile(lag_sorted, 50), percentile(lag_sorted, 99)
    lag_max = lag_sorted[-1] if lag_sorted else float("nan")
    headers_ms = sorted(s["t_headers"] - s["t_start"] for s in connected)
    last_connected = max((s["t_headers"] for s in connected), default=None)
    step_counts = sorted(s["steps"] for s in connected)
    events_total = sum(sum(s["events"].values()) for s in connected)
    wall = (t_done - t_submitted) / 1000

    print(f"job                      {job_id}: {job_status}, final step {final_step}")
    print(f"clients connected        {len(connected)}/{a.clients}  (time to response headers: p50 {percentile(headers_ms, 50):.0f} ms, max {headers_ms[-1] if headers_ms else float('nan'):.0f} ms)")
    print(f"every step event, in order, no gap   {len(complete)}/{a.clients}")
    if connected and len(complete) < len(connected):
        print(f"  step events per client: min {step_counts[0]}, median {step_counts[len(step_counts) // 2]}, max {step_counts[-1]}; "
              f"gaps {sum(s['gaps'] for s in connected)}, out of order {sum(s['disorder'] for s in connected)}, "
              f"without id {sum(s['missing_id'] for s in connected)}")
    print(f"start first / clean end  {len(start_first)}/{len(connected)} / {len(ended_clean)}/{len(connected)} (status + report, then the last chunk)")
    if errors:
        print("client errors            " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1])))
    other_ids = sum(s["ids_on_other"] for s in connected)
    no_t = sum(s["no_t"] for s in connected)
    if other_ids or no_t:
        print(f"protocol notes           id on non-step events: {other_ids}; events without `: t=`: {no_t}")
    print(f"delivery lag             p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lag_max:.1f} ms  ({len(lags)} events)")
    print(f"events delivered         {events_total} in {wall:.1f} s ({events_total / wall if wall > 0 else 0:.0f}/s)")
    if last_connected is not None:
        live = ""
        finished_ms = iso_ms(job.get("finished_at"))
        if finished_ms is not None:
            if finished_ms >= last_connected:
                live = f"; the job ended {(finished_ms - last_connected) / 1000:.2f} s later: streamed live"
            else:
                live = f"; the job had ended {(last_connected - finished_ms) / 1000:.2f} s before: partly replayed"
        print(f"all streams open after   {(last_connected - t_submitted) / 1000:.2f} s from the submission{live}")
    print(f"client CPU               {client_cpu:.1f} s over {a.procs} process(es)")
    if a.pid and server_after:
        cpu = server_after.get("cpu_s", 0) - server_before.get("cpu_s", 0)
        print(f"server (pid {a.pid})       peak RSS {server_after.get('VmHWM')} MiB (now {server_after.get('VmRSS')} MiB), "
              f"CPU {cpu:.1f} s during the test ({100 * cpu / wall if wall > 0 else 0:.0f}% of a core), "
              f"threads peak {sampler.peak_threads}, open files {server_before.get('fds')} before / peak {sampler.peak_fds} / {server_after.get('fds')} after")
    if streams_open is not None:
        print(f"server streams open now  {streams_open:.0f} (gradscope_streams_open)")

    ok = job_status == "completed" and len(connected) == a.clients and len(complete) == a.clients
    if a.json:
        print(json.dumps({
            "bench": "sse_fanout", "job": job_id, "job_status": job_status, "final_step": final_step,
            "clients": a.clients, "connected": len(connected), "complete": len(complete),
            "clean_end": len(ended_clean), "errors": errors,
            "lag_ms": {"p50": round(p50, 2), "p99": round(p99, 2), "max": round(lag_max, 2)},
            "events": events_total, "seconds": round(wall, 2), "client_cpu_s": round(client_cpu, 2),
            "server": None if not (a.pid and server_after) else {
                "peak_rss_mib": server_after.get("VmHWM"),
                "cpu_s": round(server_after.get("cpu_s", 0) - server_before.get("cpu_s", 0), 2),
                "peak_threads": sampler.peak_threads, "peak_fds": sampler.peak_fds,
                "fds_after": server_after.get("fds"),
            },
            "streams_open_after": streams_open, "ok": ok,
        }))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
