"""The national unit tree and the seed duties mapped onto it, level by level.

    .venv/bin/python bench/national.py OUT_DIR [--scale 1.0]   # writes OUT_DIR/rules/*.yaml + config.yaml

China has about 333 prefecture-level, 2,844 county-level and 38,700 township-level governments.
The tree: one root (level province, ``cn``), 31 provinces, 333 prefectures spread over them,
2,844 counties over the prefectures, 38,700 townships over the counties, and three departments of
each prefecture (999): 42,908 units. ``--scale`` shrinks every level count (tests use 0.01).

The duties are those of rules/000-bayingolin-2024.yaml, mapped as ``bench/feed_bench.py`` maps
them, extended to more than one prefecture: a seed unit named by id goes to the synthetic unit of
the same level and position (the i-th seed county to the i-th county, ...), ``under: bz`` to the
first prefecture, and a level selector stays a level selector, so the county duties reach every
county in the country and the township duties every township.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rules" / "000-bayingolin-2024.yaml"
LEVELS = {"province": 31, "prefecture": 333, "county": 2_844, "township": 38_700}
DEPARTMENTS_PER_PREFECTURE = 3
Doc = dict[str, Any]


def national_tree(scale: float = 1.0) -> tuple[list[Doc], dict[str, int]]:
    """The units, parents before children, and their count per level."""
    n = {level: max(1, round(count * scale)) for level, count in LEVELS.items()}
    units: list[Doc] = [{"id": "cn", "name": "全国", "level": "province"}]
    provinces = [f"cn.s{i:02d}" for i in range(n["province"])]
    units += [{"id": p, "name": f"第{i}省人民政府", "level": "province", "parent": "cn"}
              for i, p in enumerate(provinces)]
    prefectures = [f"{provinces[i % len(provinces)]}.p{i:03d}" for i in range(n["prefecture"])]
    units += [{"id": p, "name": f"第{i}市人民政府", "level": "prefecture", "parent": p.rsplit(".", 1)[0]}
              for i, p in enumerate(prefectures)]
    departments = []
    for i, p in enumerate(prefectures):
        for k in range(DEPARTMENTS_PER_PREFECTURE):
            departments.append({"id": f"{p}.d{k}", "name": f"第{i}市第{k}局", "level": "department", "parent": p})
    units += departments
    counties = [f"{prefectures[i % len(prefectures)]}.c{i:04d}" for i in range(n["county"])]
    units += [{"id": c, "name": f"第{i}县人民政府", "level": "county", "parent": c.rsplit(".", 1)[0]}
              for i, c in enumerate(counties)]
    units += [{"id": f"{counties[i % len(counties)]}.t{i:05d}", "name": f"第{i}镇人民政府", "level": "township",
               "parent": counties[i % len(counties)]} for i in range(n["township"])]
    per_level = Counter(u["level"] for u in units)
    return units, dict(per_level)


def _level_ids(units: list[Doc]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for unit in units:
        if unit.get("parent") or unit["level"] != "province":
            out.setdefault(unit["level"], []).append(unit["id"])
    return out


def map_seed(units: list[Doc], seed: Doc, *, root: str | None = "cn") -> list[Doc]:
    """The seed's obligations with every unit reference mapped onto ``units`` (see the module doc);
    a level selector without ``under`` gets ``root`` (None: left as it is, for a one-file tree)."""
    synthetic = _level_ids(units)
    mapping: dict[str, str] = {}
    for level, ids in _level_ids(seed["units"]).items():
        targets = synthetic[level]
        mapping.update({sid: targets[i % len(targets)] for i, sid in enumerate(ids)})

    def ref(item: str | Doc) -> str | Doc:
        if isinstance(item, str):
            return mapping[item]
        if item.get("under"):
            return {**item, "under": mapping[item["under"]]}
        # a level selector without under would stay inside its own file: the units are in others
        return {**item, "under": root} if root else dict(item)

    def refs(value: str | Doc | list[str | Doc]) -> str | Doc | list[str | Doc]:
        if not isinstance(value, list):
            return ref(value)
        unique = {json.dumps(v, sort_keys=True): v for v in map(ref, value)}  # two seed units may share a target
        return list(unique.values())

    obligations = []
    for original in seed["obligations"]:
        ob = dict(original)
        for key in ("applies_to", "lead", "participants"):
            if key in ob:
                ob[key] = refs(ob[key])
        obligations.append(ob)
    return obligations


def _dump(path: Path, doc: Doc) -> None:
    out = YAML(typ="safe", pure=False)
    out.default_flow_style = False
    out.allow_unicode = True
    with path.open("w", encoding="utf-8") as fh:
        out.dump(doc, fh)


def write_national(directory: Path, scale: float = 1.0, *,
                   database_url: str = "sqlite:///store.db") -> tuple[Path, list[Path], dict[str, int]]:
    """Write the rules and a config.yaml naming them; (config, rules files, units per level).

    The duties and the root in ``rules/00-duties.yaml``, each province's units in its own file
    (``rules/units-sNN.yaml``, about 1,400 units): one file of 43,000 units would pass the
    per-file limits of obligations/yamllimits.py (5 MB, 100,000 values) several times over.
    """
    seed: Doc = YAML(typ="safe", pure=False).load(SEED.read_text(encoding="utf-8"))
    units, per_level = national_tree(scale)
    rules_dir = directory / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    duties = rules_dir / "00-duties.yaml"
    _dump(duties, {"version": seed["version"], "document": seed["document"], "units": units[:1],
                   "obligations": map_seed(units, seed)})
    paths = [duties]
    by_province: dict[str, list[Doc]] = {}
    for unit in units[1:]:
        by_province.setdefault(".".join(unit["id"].split(".")[:2]), []).append(unit)
    for province, members in by_province.items():
        path = rules_dir / f"units-{province.split('.')[1]}.yaml"
        _dump(path, {"version": 1, "document": {"id": f"units-{province}", "title": f"{members[0]['name']}机构名录",
                                                "date": "2024-01-01"}, "units": members})
        paths.append(path)
    config = directory / "config.yaml"
    config.write_text(f"timezone: Asia/Shanghai\nrules: [rules/*.yaml]\ndatabase_url: {database_url}\n"
                      "calendar: {beyond_dataset: weekends_only}\n", encoding="utf-8")
    return config, paths, per_level


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    config, rules, per_level = write_national(args.out, args.scale)
    levels = ", ".join(f"{k} {v:,}" for k, v in per_level.items())
    print(f"{len(rules)} rules files: {sum(per_level.values()):,} units ({levels})")
    print(f"{config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
