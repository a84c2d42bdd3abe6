"""Prints a daily revenue report from a CSV export of orders."""
import csv
import sys
from collections import defaultdict


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def revenue_by_day(rows):
    days = defaultdict(float)
    for row in rows:
        days[row["date"]] += float(row["quantity"]) * float(row["unit_price"])
    return dict(sorted(days.items()))


def main(argv):
    rows = load(argv[1])
    for day, amount in revenue_by_day(rows).items():
        print(f"{day}  {amount:10.2f}")


if __name__ == "__main__":
    main(sys.argv)
