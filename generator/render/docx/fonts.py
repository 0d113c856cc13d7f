"""Render stage (Word): font names as Word documents must carry them.

Companies name fonts in Chinese (宋体, 黑体). Word understands both the Chinese and the English
face name, but LibreOffice's substitution table only knows the English one: with `SimSun` it
falls back to Noto Serif CJK, with `宋体` to a sans font. So the documents carry the English
face name of the well-known Windows fonts; Word shows them as 宋体 / 黑体 all the same.
"""

from __future__ import annotations

FACE_NAMES = {
    "宋体": "SimSun",
    "新宋体": "NSimSun",
    "黑体": "SimHei",
    "仿宋": "FangSong",
    "仿宋_GB2312": "FangSong_GB2312",
    "楷体": "KaiTi",
    "楷体_GB2312": "KaiTi_GB2312",
    "微软雅黑": "Microsoft YaHei",
    "等线": "DengXian",
}


def face_name(font: str) -> str:
    """The name to write into w:rFonts for `font` (English face name when one is known)."""
    return FACE_NAMES.get(font.strip(), font.strip())
