#!/usr/bin/env python3
"""Drives a running dmptool as a new user would: log in, create a plan, ask for its
documents, wait for them, download the DOCX and the PDF through the signed links.
Usage: smoke.py BASE_URL USER PASSWORD. Exits non-zero on the first problem."""
import base64, json, sys, time, urllib.request

base, user, password = sys.argv[1:4]


def call(method, path, token=None, body=None, basic=None, raw=False):
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if basic:
        req.add_header("Authorization", "Basic " + base64.b64encode(basic.encode()).decode())
    data = json.dumps(body).encode() if body is not None else None
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data, timeout=10) as r:
        return r.read() if raw else json.load(r)


token = call("GET", "/login", basic=f"{user}:{password}")["access_token"]
plan = {"name": "Smoke test – Łódź", "purpose": "Check the install end to end.", "sharing": "Yes", "license": "CC BY"}
dmp = call("POST", "/dmps", token, plan)["id"]
task = call("POST", "/tasks", token, {"dmp": dmp})["id"]
deadline = time.time() + 30
while True:
    t = call("GET", f"/tasks/{task}", token)
    if t["status"] == "done":
        break
    if t["status"] == "error" or time.time() > deadline:
        sys.exit(f"the task did not finish: {t}")
    time.sleep(0.05)
docx = call("GET", "/resources/docx/" + t["url_docx"], raw=True)
pdf = call("GET", "/resources/pdf/" + t["url_pdf"], raw=True)
assert docx[:4] == b"PK\x03\x04", "the DOCX is not a zip"
assert pdf[:5] == b"%PDF-", "the PDF is not a PDF"
print(f"ok: logged in, DMP {dmp}, task {task} done, DOCX {len(docx)} bytes, PDF {len(pdf)} bytes")
