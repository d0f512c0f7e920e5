#!/usr/bin/env python3
"""Fill empty msgstr entries of a .po file from a tab-separated file of `source<TAB>translation` lines.

Usage: python scripts/po_fill.py locale/en/LC_MESSAGES/django.po translations.tsv
Entries already translated are left alone; fuzzy flags on filled entries are removed.
"""

import re
import sys


def main(po_path, tsv_path):
    table = {}
    with open(tsv_path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and "\t" in line:
                src, dst = line.split("\t", 1)
                table[src] = dst
    text = open(po_path, encoding="utf-8").read()

    def fill(match):
        src = match.group(1)
        if src in table:
            dst = table[src].replace('"', '\\"')
            return f'msgid "{src}"\nmsgstr "{dst}"'
        return match.group(0)

    text = re.sub(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr ""(?!\n")', fill, text)
    text = text.replace("#, fuzzy\n", "")
    open(po_path, "w", encoding="utf-8").write(text)
    missing = re.findall(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr ""\n(?!")', text)
    print(f"{len(missing)} untranslated" + ("".join(f"\n  {m}" for m in missing[:20])))


if __name__ == "__main__":
    main(*sys.argv[1:3])
