"""Units named in 牵头单位/参加单位/责任单位 lists, and the ids they get.

Ids cannot come from the names (no pinyin here), so each name gets a short hash:
``<jurisdiction>.u<6 hex digits of sha1(name)>``. A hash, unlike a running number,
keeps a unit's id when next year's plan names its units in another order, so
``--against`` can compare lead units across years.

Lists shorten names: "州人民政府办公室、司法局" means 州司法局, so a name without the
administrative prefix of the first name of its comma group inherits it. Categories
("各县市人民政府", "州人民政府有关部门", "全区各行政执法机关") are not units: they stay
in the duty's description for the administrator to turn into selectors.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# A category names a kind of unit, not one unit.
_CATEGORY = re.compile(r"各|有关|相关|涉及|所有|全[区市县州省]|(?:机关|部门|单位)$")
# The place a name starts with (州 of 州司法局, 柳江区 of 柳江区编办); 市场 is not a place.
_PREFIX = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:自治州|自治县|自治区|地区|州|市(?!场)|县|区|旗|盟)")
_NOT_PLACE = re.compile(r"人民|银行|局|办|委|院|党")
_HAS_PLACE = re.compile(r"自治州|自治县|自治区|地区|州|市(?!场)|县|区|旗|盟|镇|乡")
_ROOT_WORDS = re.compile(r"^(?:[州市区县旗盟]|本级)(?:人民)?政府$")
_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{1,12}?(?:自治州|自治县|自治区|地区|盟|州|市|县|区|旗))+")


def is_category(name: str) -> bool:
    return bool(_CATEGORY.search(name))


def expand_names(names: list[str]) -> list[str]:
    """Give short names the prefix of the name before them: [州人民政府办公室, 司法局] -> 州司法局."""
    out: list[str] = []
    prefix = ""
    for name in names:
        m = _PREFIX.match(name)
        if is_category(name):
            out.append(name)
        elif m and len(m.group(0)) < len(name):
            if not _NOT_PLACE.search(m.group(0)):
                prefix = m.group(0)  # 州人民政府办公室 -> 州; 柳江区编办 -> 柳江区
            out.append(name)  # a name with its own place (人民银行柳江区支行) keeps it
        elif prefix and not name.startswith(prefix) and not _HAS_PLACE.search(name[:-1]):
            out.append(prefix + name)
        else:
            out.append(name)
    return out


def place_of(text: str) -> str:
    """The leading place name of a title or signature: 柳州市柳江区, 巴音郭楞蒙古自治州, 大连市."""
    m = _PLACE.match(text.strip())
    return m.group(0) if m else ""


def level_of(place: str) -> str:
    if place.endswith(("省", "自治区")):
        return "province"
    if place.endswith(("镇", "乡", "街道")):
        return "township"
    if place.endswith(("县", "区", "旗", "自治县")):
        return "county"
    return "prefecture"  # 州, 盟, 地区, 市 (a 县级市 is edited to county by the administrator)


@dataclass
class UnitTree:
    """The draft's units: the jurisdiction's government and every unit named in a list."""

    jurisdiction: str  # id prefix
    root_name: str
    root_level: str
    names: dict[str, str]  # unit id -> name, in order of first mention

    @classmethod
    def create(cls, jurisdiction: str, place: str) -> UnitTree:
        root_name = f"{place}人民政府" if place else "本级人民政府(请填写)"
        return cls(jurisdiction, root_name, level_of(place) if place else "prefecture", {})

    def is_root(self, name: str) -> bool:
        bare = name.replace("人民政府", "政府")
        root = self.root_name.replace("人民政府", "政府")
        return bool(_ROOT_WORDS.match(name)) or bare == root or (
            root.endswith(bare) and bare.endswith("政府") and len(bare) >= 3)

    def id_for(self, name: str) -> str:
        if self.is_root(name):
            return self.jurisdiction
        for uid, known in self.names.items():
            if known == name:
                return uid
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()
        for size in range(6, len(digest) + 1):
            uid = f"{self.jurisdiction}.u{digest[:size]}"
            if uid not in self.names:
                self.names[uid] = name
                return uid
        raise AssertionError("sha1 collision")  # pragma: no cover

    def resolve(self, printed: list[str]) -> tuple[list[str], list[str]]:
        """Unit ids for the concrete names of a list, and the categories left as text."""
        ids: list[str] = []
        categories: list[str] = []
        previous_category = False
        for name in expand_names(printed):
            # "全区各级党委、政府": a bare word after a category continues the category.
            if is_category(name) or (previous_category and len(name) <= 4 and not _PREFIX.match(name)):
                categories.append(name)
                previous_category = True
                continue
            previous_category = False
            uid = self.id_for(name)
            if uid not in ids:
                ids.append(uid)
        return ids, categories

    def as_dicts(self) -> list[dict[str, str]]:
        units = [{"id": self.jurisdiction, "name": self.root_name, "level": self.root_level}]
        units.extend({"id": uid, "name": name, "level": "department", "parent": self.jurisdiction}
                     for uid, name in self.names.items())
        return units


__all__ = ["UnitTree", "expand_names", "is_category", "level_of", "place_of"]
