#!/usr/bin/env python3
"""The original pipeline's render step, for comparison: the fixture DMP written as DocBook
XML (questions as sections, answers as paragraphs, as the old worker did) and turned into
a DOCX by `pandoc -f docbook -t docx`, N times. Prints the median and p90 in milliseconds.
The old worker also polled MongoDB every 5 s, so a task waited 0-5 s (2.5 s on average)
before this step started; that wait is not included here.
"""
import json, os, statistics, subprocess, sys, tempfile, time
from xml.sax.saxutils import escape

fixture, n = sys.argv[1], int(sys.argv[2])
dmp = json.load(open(fixture))
sections = "".join(
    f"<section><title>{escape(k)}</title><para>{escape(v if isinstance(v, str) else json.dumps(v))}</para></section>"
    for k, v in dmp.items()
)
xml = f'<?xml version="1.0" encoding="utf-8"?><article xmlns="http://docbook.org/ns/docbook" version="5.0"><title>{escape(dmp.get("name", "DMP"))}</title>{sections}</article>'
tmp = tempfile.mkdtemp()
src, out = os.path.join(tmp, "dmp.xml"), os.path.join(tmp, "dmp.docx")
times = []
for _ in range(n):
    start = time.perf_counter()
    with open(src, "w") as f:
        f.write(xml)
    subprocess.run(["pandoc", "-f", "docbook", "-t", "docx", "-o", out, src], check=True)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({"n": n, "median_ms": round(statistics.median(times), 1), "p90_ms": round(times[int(0.9 * (n - 1))], 1)}))
