#!/usr/bin/env python3
"""POST /tasks -> status "done" latency against a running dmptool, no other load.

Logs in, creates the fixture DMP, then N times: POST /tasks and poll GET /tasks/{id}
every millisecond until it is done. Prints the median and p90 in milliseconds.
Standard library only.
"""
import base64, json, statistics, sys, time, urllib.request

base, user, password, fixture, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])


def call(method, path, token=None, body=None, basic=None):
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if basic:
        req.add_header("Authorization", "Basic " + base64.b64encode(basic.encode()).decode())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as r:
        return json.load(r)


token = call("GET", "/login", basic=f"{user}:{password}")["access_token"]
dmp = call("POST", "/dmps", token, json.load(open(fixture)))["id"]
times = []
for _ in range(n):
    start = time.perf_counter()
    task = call("POST", "/tasks", token, {"dmp": dmp})["id"]
    while True:
        status = call("GET", f"/tasks/{task}", token)["status"]
        if status == "done":
            break
        if status == "error":
            sys.exit(f"task {task} failed")
        time.sleep(0.001)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({"n": n, "median_ms": round(statistics.median(times), 1), "p90_ms": round(times[int(0.9 * (n - 1))], 1)}))
