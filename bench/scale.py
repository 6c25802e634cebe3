#!/usr/bin/env python3
"""Scale: the same user (100 plans, one plan with 20 tasks) in a database of 1,000 plans
and in one of 1,000,000 plans across 10,000 users. Lists must cost the same (indexes, not
scans); start-up, memory and file size must stay small.

usage: scale.py DMPTOOL_BIN SEED_BIN [--big N_DMPS] [--users N]
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from http_bench import rss_kib, wrk


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def measure(binary, seed, users, dmps, duration, revisions=1):
    data = tempfile.mkdtemp()
    try:
        t = time.time()
        out = subprocess.run([seed, data, str(users), str(dmps), "20", str(revisions)], capture_output=True,
                             text=True, check=True).stdout
        seed_s = time.time() - t
        info = dict(line.split("=", 1) for line in out.split())
        db_bytes = os.path.getsize(os.path.join(data, "dmptool.redb"))
        port = free_port()
        env = dict(os.environ, DMPTOOL_LOG="warn")
        t0 = time.monotonic()
        server = subprocess.Popen([binary, "--data", data, "serve", "--port", str(port)], env=env,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.005)
        startup_ms = (time.monotonic() - t0) * 1000
        try:
            req = urllib.request.Request(base + "/login")
            req.add_header("Authorization", "Basic " + base64.b64encode(b"bench0:bench-password").decode())
            token = json.loads(urllib.request.urlopen(req).read())["access_token"]
            auth = "Bearer " + token
            idle = rss_kib(server.pid, "VmRSS")
            lists = wrk(base + "/dmps", "GET", auth, None, duration, 8, 1)
            tasks = wrk(base + f"/tasks?id_dmp={info['first_dmp']}", "GET", auth, None, duration, 8, 1)
            reads = wrk(base + f"/dmps/{info['first_dmp']}", "GET", auth, None, duration, 8, 1)
            history = wrk(base + f"/dmps/{info['first_dmp']}/revisions", "GET", auth, None, duration, 8, 1)
            peak = rss_kib(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait()
        return {
            "seed_s": seed_s, "db": db_bytes, "raw": int(info["raw_json_bytes"]),
            "raw_history": int(info.get("raw_history_bytes", info["raw_json_bytes"])),
            "reads": reads, "history": history,
            "startup_ms": startup_ms, "lists": lists, "tasks": tasks, "idle": idle, "peak": peak,
        }
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("seed")
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--revisions", type=int, default=10)
    a = ap.parse_args()
    small = measure(a.binary, a.seed, 10, 1000, a.duration)
    big = measure(a.binary, a.seed, a.users, a.big, a.duration, a.revisions)
    print(f"{'':36} {'1,000 plans':>14} {f'{a.big:,} plans':>16} {'ratio':>7}")
    print(f"{'revisions per plan':36} {1:14} {a.revisions:16}")
    for key, name in (("lists", "GET /dmps (the user's 100), p50 ms"),
                      ("tasks", "GET /tasks?id_dmp= (20), p50 ms"),
                      ("reads", "GET /dmps/{id}, p50 ms"),
                      ("history", "GET /dmps/{id}/revisions, p50 ms")):
        s, b = small[key]["lat"]["50"], big[key]["lat"]["50"]
        print(f"{name:36} {s:14.2f} {b:16.2f} {b / s:7.2f}")
    for key, name in (("lists", "GET /dmps, req/s"), ("tasks", "GET /tasks?id_dmp=, req/s"),
                      ("reads", "GET /dmps/{id}, req/s"), ("history", "GET .../revisions, req/s")):
        s, b = small[key]["rps"], big[key]["rps"]
        print(f"{name:36} {s:14.0f} {b:16.0f} {s / b:7.2f}")
    print(f"{'start-up to first answer, ms':36} {small['startup_ms']:14.0f} {big['startup_ms']:16.0f}")
    print(f"{'RSS after start-up / peak, MiB':36} {small['idle'] / 1024:6.1f} / {small['peak'] / 1024:5.1f}"
          f" {big['idle'] / 1024:8.1f} / {big['peak'] / 1024:5.1f}")
    print(f"{'database file / raw JSON':36} {small['db'] / small['raw']:14.2f} {big['db'] / big['raw']:16.2f}"
          f"   ({big['db'] / 1e6:.0f} MB for {big['raw'] / 1e6:.0f} MB of JSON; seeding took {big['seed_s']:.0f} s)")
    print(f"{'database file / raw JSON of history':36} {small['db'] / small['raw_history']:14.2f}"
          f" {big['db'] / big['raw_history']:16.2f}   ({big['raw_history'] / 1e6:.0f} MB of JSON in all revisions)")


if __name__ == "__main__":
    main()
