"""Reads a DOCX back with python-docx and prints what it holds as JSON, for the
integration tests (tests/documents/docx_readback.rs).

Usage: python3 read_docx.py FILE.docx

Prints {"paragraphs": [{"style", "text", "numbered", "links"}], "tables": [[[cell text]]],
"hyperlinks": [{"text", "url"}]} where `numbered` says the paragraph carries w:numPr (a
list item of a numbering definition) and `links` are the paragraph's hyperlinks.
"""

import json
import sys

import docx
from docx.oxml.ns import qn


def paragraph(p):
    ppr = p._p.pPr
    numbered = ppr is not None and ppr.find(qn("w:numPr")) is not None
    links = [{"text": h.text, "url": h.url} for h in p.hyperlinks]
    return {
        "style": p.style.name if p.style is not None else "",
        "text": p.text,
        "numbered": numbered,
        "links": links,
    }


def main(path):
    d = docx.Document(path)
    paragraphs = [paragraph(p) for p in d.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    hyperlinks = [link for p in paragraphs for link in p["links"]]
    json.dump(
        {"paragraphs": paragraphs, "tables": tables, "hyperlinks": hyperlinks},
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main(sys.argv[1])
