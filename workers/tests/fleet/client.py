#!/usr/bin/python3
# The client host of workers/tests/fleet/fleet.sh: posts demo events
# (schema strmprivacy/demo/1.0.2, contract strmprivacy/example/1.3.0,
# JSON, key field consistentValue) and writes one JSON line per answer:
#
#   {"phase","s","r","target","status","id","up","t0","t1","err","event"}
#
# s = session number, r = event number in the session, id = the
# Strm-Event-Id answer header, up = the load balancer's X-Upstream header
# (which gateway took it), t0/t1 = epoch seconds sent/answered, event =
# what was sent.  A session's key-field value is s-NONCE-PHASE-S.
#
#   client.py load   --phase P --target H:P --sessions N --events E
#                    [--concurrency C] [--rate R] [--deadline S]
#                    [--sessions-file F] [--first-event R0] [--progress F]
#   client.py race   --phase P --target H:P --target H:P --sessions N
#   client.py window --phase P --target H:P --sessions N --rotation S
#                    --windows W [--interval S] [--guard S]
#
# load: events in rounds (event 0 of every session in a shuffled order,
# then event 1, ...), so that one session's events are far apart and a
# round-robin balancer spreads them over the gateways; at most R events
# a second (0: no limit); stops by itself after --deadline seconds (the
# rest is recorded with status 0, err "not_sent").
# race: for each session, connections to both targets are opened first,
# then both requests go out back to back and both answers are read.
# window: every --interval seconds one event per session, never within
# --guard seconds of a window boundary (windows aligned to the epoch),
# over --windows windows.
#
# Always bounded: every request has a 40 s timeout.

import argparse
import json
import os
import random
import socket
import threading
import time

TIMEOUT = 40.0
SCHEMA = "strmprivacy/demo/1.0.2"
CONTRACT = "strmprivacy/example/1.3.0"


def event(nonce, phase, s, r):
    tag = "%s-%s-%d" % (nonce, phase, s)
    return {
        "strmMeta": {"eventContractRef": CONTRACT,
                     "consentLevels": [0, 1, 2, 3]},
        "uniqueIdentifier": "u-%s-%d" % (tag, r),
        "consistentValue": "s-" + tag,
        "someSensitiveValue": "x-%s-%d-%08x" % (tag, r,
                                                random.getrandbits(32)),
        "notSensitiveValue": "%s:%d:%d" % (phase, s, r),
    }


class Conn:
    """One keep-alive HTTP/1.1 connection; no retries"""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.addr = (host, int(port))
        self.host = target
        self.sock = None
        self.buf = b""

    def connect(self):
        if self.sock is None:
            self.sock = socket.create_connection(self.addr, timeout=TIMEOUT)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def send(self, body):
        self.connect()
        head = ("POST /event HTTP/1.1\r\nHost: %s\r\n"
                "Content-Type: application/json\r\n"
                "Strm-Schema-Ref: %s\r\nContent-Length: %d\r\n\r\n"
                % (self.host, SCHEMA, len(body)))
        self.sock.sendall(head.encode() + body)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def read(self):
        """(status, {lowercase name: value}, body)"""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            hdrs[name.strip().lower()] = value.strip()
        body = b""
        if status in (204, 304) or 100 <= status < 200:
            pass
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self._fill()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            n = int(hdrs.get("content-length", "0"))
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, hdrs, body


class Recorder:
    def __init__(self, path, phase, progress):
        self.f = open(path, "a")
        self.phase = phase
        self.lock = threading.Lock()
        self.done = 0
        self.progress = progress

    def write(self, rec):
        rec["phase"] = self.phase
        line = json.dumps(rec)
        with self.lock:
            self.f.write(line + "\n")
            self.done += 1

    def write_progress(self):
        if self.progress:
            tmp = self.progress + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % self.done)
            os.replace(tmp, self.progress)

    def close(self):
        self.write_progress()
        self.f.close()


def post(conn, ev):
    """one request on conn; returns the record's answer fields"""
    body = json.dumps(ev, separators=(",", ":")).encode()
    rec = {"t0": time.time()}
    try:
        conn.send(body)
        status, hdrs, rbody = conn.read()
        rec.update(status=status, id=hdrs.get("strm-event-id"),
                   up=hdrs.get("x-upstream"))
        if status != 204:
            rec["err"] = rbody[:200].decode("utf-8", "replace")
    except (OSError, ValueError, IndexError) as e:
        conn.close()
        rec.update(status=0, id=None, err="%s: %s" % (type(e).__name__, e))
    rec["t1"] = time.time()
    return rec


def run_jobs(args, jobs, rec, late=None):
    """jobs: list of (s, r, not_before); C threads, one connection each"""
    lock = threading.Lock()
    it = iter(jobs)
    deadline = time.time() + args.deadline
    stop = threading.Event()

    def worker():
        conn = Conn(args.target[0])
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                break
            s, r, nb = job
            ev = event(args.nonce, args.phase, s, r)
            base = {"s": s, "r": r, "target": args.target[0], "event": ev}
            now = time.time()
            if nb > now:
                time.sleep(nb - now)
            if time.time() > deadline:
                base.update(status=0, id=None, err="not_sent")
                rec.write(base)
                continue
            if late is not None and time.time() > nb + late:
                base.update(status=0, id=None, err="late_skipped")
                rec.write(base)
                continue
            base.update(post(conn, ev))
            rec.write(base)
        conn.close()

    def progress():
        while not stop.wait(0.1):
            rec.write_progress()

    pt = threading.Thread(target=progress, daemon=True)
    pt.start()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()


def cmd_load(args, rec):
    if args.sessions_file:
        with open(args.sessions_file) as f:
            sessions = [int(x) for x in f.read().split()]
    else:
        sessions = list(range(args.sessions))
    rnd = random.Random(args.phase)
    jobs = []
    t = time.time()
    i = 0
    for r in range(args.first_event, args.first_event + args.events):
        order = list(sessions)
        rnd.shuffle(order)
        for s in order:
            nb = t + i / args.rate if args.rate > 0 else 0
            jobs.append((s, r, nb))
            i += 1
    run_jobs(args, jobs, rec)


def cmd_window(args, rec):
    rot = args.rotation
    now = time.time()
    start = (int(now / rot) + 1) * rot
    jobs = []
    r = 0
    for w in range(args.windows):
        ws = start + w * rot
        t = ws + args.guard
        while t < ws + rot - args.guard - 0.2:
            order = list(range(args.sessions))
            random.shuffle(order)
            for s in order:
                jobs.append((s, r, t))
            r += 1
            t += args.interval
    # an event that starts later than this is not sent: it could reach
    # the gateway at a window boundary
    run_jobs(args, jobs, rec, late=0.2)


def cmd_race(args, rec):
    a, b = args.target[0], args.target[1]
    for s in range(args.sessions):
        ca, cb = Conn(a), Conn(b)
        ev_a = event(args.nonce, args.phase, s, 0)
        ev_b = event(args.nonce, args.phase, s, 1)
        ra = {"s": s, "r": 0, "target": a, "event": ev_a}
        rb = {"s": s, "r": 1, "target": b, "event": ev_b}
        try:
            ca.connect()
            cb.connect()
        except OSError as e:
            for x in (ra, rb):
                x.update(status=0, id=None, err="connect: %s" % e,
                         t0=time.time(), t1=time.time())
                rec.write(x)
            continue
        body_a = json.dumps(ev_a, separators=(",", ":")).encode()
        body_b = json.dumps(ev_b, separators=(",", ":")).encode()
        t0 = time.time()
        ok = {}
        for c, body, x in ((ca, body_a, ra), (cb, body_b, rb)):
            try:
                c.send(body)
                ok[id(x)] = True
            except OSError as e:
                x.update(status=0, id=None, err="send: %s" % e)
        for c, x in ((ca, ra), (cb, rb)):
            x["t0"] = t0
            if ok.get(id(x)):
                try:
                    status, hdrs, rbody = c.read()
                    x.update(status=status, id=hdrs.get("strm-event-id"))
                    if status != 204:
                        x["err"] = rbody[:200].decode("utf-8", "replace")
                except (OSError, ValueError, IndexError) as e:
                    x.update(status=0, id=None, err="read: %s" % e)
            x["t1"] = time.time()
            rec.write(x)
            c.close()


def main():
    ap = argparse.ArgumentParser(prog="client.py")
    ap.add_argument("mode", choices=("load", "race", "window"))
    ap.add_argument("--phase", required=True)
    ap.add_argument("--nonce", default="n")
    ap.add_argument("--target", action="append", required=True)
    ap.add_argument("--sessions", type=int, default=0)
    ap.add_argument("--sessions-file")
    ap.add_argument("--events", type=int, default=1)
    ap.add_argument("--first-event", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--deadline", type=float, default=120)
    ap.add_argument("--rotation", type=float, default=4)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--guard", type=float, default=0.3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--progress")
    args = ap.parse_args()

    rec = Recorder(args.out, args.phase, args.progress)
    try:
        if args.mode == "load":
            cmd_load(args, rec)
        elif args.mode == "race":
            if len(args.target) != 2:
                ap.error("race needs two --target")
            cmd_race(args, rec)
        else:
            cmd_window(args, rec)
    finally:
        rec.close()


if __name__ == "__main__":
    main()
