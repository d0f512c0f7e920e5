"""Fill the ${NAME} placeholders of a deploy/ template from the environment and print the result.

    SERVER_NAME=power.example.gov.cn ... python deploy/render.py nginx/hhht-power.conf > hhht-power

Only upper-case ${NAME} placeholders are filled (nginx's own $variables stay as they are); a placeholder
without a value is an error, so a half-filled file is never written.
"""

import os
import re
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(template: str, values: dict) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(template) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def main() -> None:
    path = Path(sys.argv[1])
    if not path.is_absolute():
        path = Path(__file__).resolve().parent / path
    try:
        sys.stdout.write(render(path.read_text(encoding="utf-8"), dict(os.environ)))
    except KeyError as exc:
        sys.exit(f"{path.name}: {exc.args[0]}")


if __name__ == "__main__":
    main()
