"""The wheel's README (its METADATA's long description) reads as Python: every
```python block is rosetta's translation, with no TypeScript left in it.

Run after package:python, from the repository's root. Exits non-zero naming
the first block that still looks like TypeScript, or when the wheel has no
Python block at all (the README's examples went missing)."""
import glob
import re
import sys
import zipfile

# TypeScript that no Python translation contains, on lines that are not comments.
TYPESCRIPT = re.compile(r"^\s*(const|let|import \* as|import \{|export )|\bnew [A-Z]\w*\(|=>|;\s*$|: [a-z]+\.I[A-Z]\w* =")

wheels = glob.glob("dist/python/*.whl")
if len(wheels) != 1:
    sys.exit(f"expected one wheel in dist/python, found {wheels}")
with zipfile.ZipFile(wheels[0]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = wheel.read(name).decode("utf-8")
blocks = re.findall(r"```python\n(.*?)```", metadata, re.S)
if not blocks:
    sys.exit(f"{wheels[0]}: the README has no ```python block: its examples were not translated")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')

for i, block in enumerate(blocks, 1):
    for line in block.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if TYPESCRIPT.search(STRING.sub('""', line)):
            sys.exit(f"{wheels[0]}: README python block {i} still reads as TypeScript: {line.strip()!r}")
print(f"{wheels[0]}: {len(blocks)} python blocks in the README, none with TypeScript left")
