#!/usr/bin/env python3
"""HTTP benchmark of a running dmptool: drives each route with wrk and prints a table.

Every figure is reported against GET /health measured in the same run (machines here are
shared and noisy), with absolute numbers for context and the server's CPU time per 1,000
requests (utime+stime of the server process from /proc, steadier than throughput).

usage: http_bench.py BASE_URL SERVER_PID ADMIN_PASSWORD FIXTURE [--duration S] [--connections N]
"""
import argparse
import base64
import json
import os
import re
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def call(base, method, path, token=None, body=None, basic=None):
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if basic:
        req.add_header("Authorization", "Basic " + basic)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data, timeout=30) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak(pid):
    """Starts a new VmHWM (peak resident memory) count for the process (Linux, as its owner)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


LUA = """
wrk.method = "{method}"
{headers}
wrk.body = {body}
"""


def wrk(url, method, auth, body, duration, connections, threads=2):
    """`auth` is an Authorization value, or a dict of headers (the web editor's cookie,
    CSRF token and If-Match); a `body` that is a str is sent as it is (a form)."""
    headers = auth if isinstance(auth, dict) else {
        "Authorization": auth, "Content-Type": "application/json"}
    lines = "\n".join(f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        if isinstance(body, str):
            lua_body = "[==[" + body + "]==]"
        else:
            lua_body = "[==[" + json.dumps(body, ensure_ascii=False) + "]==]" if body else "nil"
        f.write(LUA.format(method=method, headers=lines, body=lua_body))
        script = f.name
    try:
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
             "--latency", "-s", script, url],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = {}
    for p in ("50", "99"):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if m:
            v = float(m.group(1))
            lat[p] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return {"rps": rps, "total": total, "errors": int(non2xx.group(1)) if non2xx else 0, "lat": lat}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("pid", type=int)
    ap.add_argument("admin_password")
    ap.add_argument("fixture")
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    base, pid = a.base.rstrip("/"), a.pid
    fixture = json.load(open(a.fixture))

    admin_basic = base64.b64encode(f"admin:{a.admin_password}".encode()).decode()
    admin = call(base, "GET", "/login", basic=admin_basic)["access_token"]
    call(base, "POST", "/admin/users", admin,
         {"username": "bench", "email": "bench@example.org", "password": "bench-password-1"})
    basic = base64.b64encode(b"bench:bench-password-1").decode()
    token = call(base, "GET", "/login", basic=basic)["access_token"]
    ids = [call(base, "POST", "/dmps", token, fixture)["id"] for _ in range(100)]
    one = ids[0]
    for _ in range(20):
        call(base, "POST", "/tasks", token, {"dmp": one})
    size = len(json.dumps(call(base, "GET", f"/dmps/{one}", token)).encode())

    # A colleague with an editor grant on the plan read (and a project of theirs sharing
    # others with them, so the grant lookup reads their projects too), where the server
    # supports sharing.
    shared = False
    try:
        call(base, "POST", "/admin/users", admin,
             {"username": "editor", "email": "editor@example.org", "password": "bench-password-2"})
        call(base, "POST", "/admin/projects", admin, {"name": "bench-lab", "description": ""})
        call(base, "PUT", "/admin/projects/bench-lab/members/editor", admin)
        call(base, "PUT", f"/dmps/{one}/access/users/editor", token, {"role": "editor"})
        for other in ids[3:13]:
            call(base, "PUT", f"/dmps/{other}/access/projects/bench-lab", token, {"role": "viewer"})
        shared = True
    except urllib.error.HTTPError:
        pass
    editor_basic = base64.b64encode(b"editor:bench-password-2").decode()
    editor = call(base, "GET", "/login", basic=editor_basic)["access_token"] if shared else None
    idle_rss = rss_kib(pid, "VmRSS")

    bearer = "Bearer " + token
    # The web editor: a session cookie from its login form, the CSRF token of its pages.
    import http.client
    import urllib.parse
    host = urllib.parse.urlsplit(base).netloc
    conn = http.client.HTTPConnection(host)
    conn.request("POST", "/ui/login", "username=bench&password=bench-password-1",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    conn.request("GET", "/", headers={"Cookie": cookie})
    page = conn.getresponse().read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    web = {"Cookie": cookie}
    autosave = {"Cookie": cookie, "X-CSRF-Token": csrf, "Accept": "application/json",
                "If-Match": "*", "Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        ("GET /health", "GET", "/health", None, None),
        (f"GET /dmps/{{id}} ({size / 1024:.1f} KB)", "GET", f"/dmps/{one}", bearer, None),
    ]
    if shared:
        cases += [
            (f"GET /dmps/{{id}} as editor", "GET", f"/dmps/{one}", "Bearer " + editor, None),
            ("GET /dmps?include=shared (11)", "GET", "/dmps?include=shared", "Bearer " + editor, None),
        ]
    cases += [
        ("GET /dmps (100 DMPs)", "GET", "/dmps", bearer, None),
        # The web pages before the writes below add plans to the same user's list.
        ("GET / (web plan list, 100 plans)", "GET", "/", web, None),
        ("GET /ui/plans/{id} (web editor)", "GET", f"/ui/plans/{one}", web, None),
        ("POST /ui/plans/{id} (autosave)", "POST", f"/ui/plans/{ids[3]}", autosave,
         "answers.purpose=Autosaved+text&name=Bench+plan"),
        ("POST /dmps (durable)", "POST", "/dmps", bearer, fixture),
        ("PUT /dmps/{id} (durable)", "PUT", f"/dmps/{ids[1]}", bearer, {"name": "changed"}),
        ("POST /tasks (durable)", "POST", "/tasks", bearer, {"dmp": ids[2]}),
        ("GET /tasks?id_dmp= (20 tasks)", "GET", f"/tasks?id_dmp={one}", bearer, None),
        # The list again, now that POST /dmps has added thousands of plans to it.
        ("GET / (web plan list, after POSTs)", "GET", "/", web, None),
        ("GET /login (argon2id)", "GET", "/login", "Basic " + basic, None),
    ]
    rows = []
    whole_peak = rss_kib(pid, "VmHWM")
    for name, method, path, auth, body in cases:
        reset_peak(pid)
        r_before = rss_kib(pid, "VmRSS")
        c0 = cpu_secs(pid)
        r = wrk(base + path, method, auth or "", body, a.duration, a.connections)
        c1 = cpu_secs(pid)
        r["cpu_per_1000"] = (c1 - c0) / max(r["total"], 1) * 1000
        r["rss"] = (r_before, rss_kib(pid, "VmHWM"), rss_kib(pid, "VmRSS"))
        whole_peak = max(whole_peak, r["rss"][1])
        if name.endswith("after POSTs)"):
            fresh = http.client.HTTPConnection(host)
            fresh.request("GET", "/", headers={"Cookie": cookie})
            listed = re.search(r"([\d,.]+) plans", fresh.getresponse().read().decode())
            name = name.replace("after POSTs", f"{listed.group(1) if listed else '?'} plans")
        rows.append((name, r))
        # Let the document worker drain what POST /tasks queued before the next case.
        if path == "/tasks" and method == "POST":
            for _ in range(600):
                pend = call(base, "GET", f"/tasks?id_dmp={ids[2]}&status=pending&limit=1", token)
                if not pend:
                    break
                threading.Event().wait(0.5)

    # Logins do not hurt others: 32 clients logging in while 32 read a DMP.
    login_result = {}

    def logins():
        login_result.update(wrk(base + "/login", "GET", "Basic " + basic, None, a.duration, 32, 1))

    t = threading.Thread(target=logins)
    reset_peak(pid)
    mixed_before = rss_kib(pid, "VmRSS")
    t.start()
    under = wrk(base + f"/dmps/{one}", "GET", bearer, None, a.duration, 32, 1)
    t.join()
    mixed = (mixed_before, rss_kib(pid, "VmHWM"), rss_kib(pid, "VmRSS"))
    whole_peak = max(whole_peak, mixed[1])

    # A login storm (16 clients), then reads: does the memory come back?
    reset_peak(pid)
    storm_before = rss_kib(pid, "VmRSS")
    storm = wrk(base + "/login", "GET", "Basic " + basic, None, a.duration, 16, 2)
    storm_peak = rss_kib(pid, "VmHWM")
    whole_peak = max(whole_peak, storm_peak)
    reads = wrk(base + f"/dmps/{one}", "GET", bearer, None, a.duration, a.connections)
    whole_peak = max(whole_peak, rss_kib(pid, "VmHWM"))
    threading.Event().wait(5)  # the server hands free memory back every 2 s
    storm_after = rss_kib(pid, "VmRSS")

    health = rows[0][1]["rps"]
    mib = lambda kib: kib / 1024
    print(f"{'route':34} {'req/s':>9} {'× /health':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU s/1000':>11} {'non-2xx':>8}"
          f" {'RSS before':>11} {'peak':>7} {'after':>7} (MiB)")
    for name, r in rows:
        b, p, af = r["rss"]
        print(f"{name:34} {r['rps']:9.0f} {r['rps'] / health:10.2f} {r['lat'].get('50', 0):8.2f} "
              f"{r['lat'].get('99', 0):8.2f} {r['cpu_per_1000']:11.3f} {r['errors']:8d}"
              f" {mib(b):11.1f} {mib(p):7.1f} {mib(af):7.1f}")
    print(f"GET /dmps/{{id}} while 32 clients log in: p99 {under['lat'].get('99', 0):.2f} ms, "
          f"p50 {under['lat'].get('50', 0):.2f} ms, {under['rps']:.0f} req/s "
          f"(logins {login_result.get('rps', 0):.1f}/s)")
    print(f"  memory during it: before {mib(mixed[0]):.1f} MiB, peak {mib(mixed[1]):.1f}, after {mib(mixed[2]):.1f}")
    print(f"login storm (16 clients): {storm['rps']:.1f} logins/s, RSS before {mib(storm_before):.1f} MiB, "
          f"peak {mib(storm_peak):.1f} MiB; after {a.duration} s of reads ({reads['rps']:.0f} req/s) "
          f"and 5 s idle: {mib(storm_after):.1f} MiB ({mib(storm_after - storm_before):+.1f} MiB)")
    print(f"server RSS: idle after seeding {mib(idle_rss):.1f} MiB, peak through the whole bench "
          f"{mib(whole_peak):.1f} MiB")


if __name__ == "__main__":
    main()
