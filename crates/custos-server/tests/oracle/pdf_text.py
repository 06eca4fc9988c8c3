"""Prints the text of a PDF (the path is the first argument), page by page, as pypdf (an
independent PDF implementation) extracts it; exits non-zero if the file does not parse."""

import sys

from pypdf import PdfReader

reader = PdfReader(sys.argv[1], strict=True)
print(f"pages: {len(reader.pages)}")
print(f"title: {reader.metadata.title}")
for page in reader.pages:
    print(page.extract_text())
