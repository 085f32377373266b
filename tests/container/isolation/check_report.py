"""Judges site A's reports (tests/container/test_isolation.sh): `check_report.py PLAN REPORT...`.

PLAN holds one attempt a line, WHAT<TAB>OP<TAB>ARGUMENT<TAB>EXPECTED (a regular expression the
whole outcome must match); each REPORT is one of attacker.wsgi's JSON answers {WHAT: outcome}.
Prints one line per attempt and exits 1 when any outcome is not the expected refusal, or is
missing."""
import json
import re
import sys


def main(plan_path, *report_paths):
    report = {}
    for path in report_paths:
        with open(path) as f:
            report.update(json.load(f))
    failed = 0
    with open(plan_path) as f:
        for line in f:
            if not line.strip():
                continue
            what, _op, _argument, expected = line.rstrip("\n").split("\t")
            outcome = report.get(what)
            if outcome is not None and re.fullmatch(expected, outcome):
                print("refused: %s (%s)" % (what, outcome[:100]))
            else:
                failed += 1
                print("NOT REFUSED: %s: %r, expected %s" % (what, outcome, expected))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
