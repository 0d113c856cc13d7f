"""Fill a blank form inside LibreOffice, as a clerk typing in Writer would, then save as .docx.

Run with the system Python that has LibreOffice's `uno` module (python3-uno), not the project's:
    /usr/bin/python3 tests/lo_fill_uno.py IN.docx OUT.docx INSTRUCTIONS.json PROFILE_DIR

Instructions: {"replace": {"hint text": "value"}, "check": [n, ...], "dates": {"n": "2026-11-20"},
"dropdowns": {"n": "option"}} where n counts LibreOffice's content controls of that kind
(checkbox, date, dropdown) in document order. LibreOffice 7.4 keeps plain-text controls as text,
so they are filled by replacing the placeholder (hint) text inside them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name: str, value: object) -> PropertyValue:
    item = PropertyValue()
    item.Name = name
    item.Value = value
    return item


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def controls(document: object) -> list[object]:
    found: list[object] = []

    def walk(text: object) -> None:
        paragraphs = text.createEnumeration()
        while paragraphs.hasMoreElements():
            paragraph = paragraphs.nextElement()
            if paragraph.supportsService("com.sun.star.text.TextTable"):
                for name in paragraph.getCellNames():
                    walk(paragraph.getCellByName(name).getText())
                continue
            portions = paragraph.createEnumeration()
            while portions.hasMoreElements():
                portion = portions.nextElement()
                if portion.TextPortionType == "ContentControl":
                    found.append(portion)

    walk(document.getText())
    return found


def put_text(control: object, value: str) -> None:
    """Replace what a content control shows, as picking a date or a list entry does."""
    cursor = control.createTextCursor()
    cursor.gotoStart(False)
    cursor.gotoEnd(True)
    cursor.setString(value)
    control.ShowingPlaceHolder = False


def main() -> None:
    source, target, instructions_file, profile = sys.argv[1:5]
    with open(instructions_file, encoding="utf-8") as stream:
        instructions = json.load(stream)
    port = free_port()
    office = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         f"--accept=socket,host=127.0.0.1,port={port};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                context = resolver.resolve(
                    f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.25)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
        for hint, value in instructions.get("replace", {}).items():
            search = document.createReplaceDescriptor()
            search.SearchString = hint
            search.ReplaceString = value
            if document.replaceAll(search) != 1:
                raise SystemExit(f"hint {hint!r} not found exactly once")
        found = controls(document)
        boxes = [p for p in found if p.ContentControl.Checkbox]
        dates = [p for p in found if p.ContentControl.Date]
        lists = [p for p in found if len(p.ContentControl.ListItems)]
        for n in instructions.get("check", []):
            boxes[n].ContentControl.Checked = True
        for n, value in instructions.get("dates", {}).items():
            control = dates[int(n)].ContentControl
            put_text(control, value)
            control.CurrentDate = f"{value}T00:00:00Z"  # what the date picker stores
        for n, value in instructions.get("dropdowns", {}).items():
            put_text(lists[int(n)].ContentControl, value)
        document.storeToURL(uno.systemPathToFileUrl(target),
                            (prop("FilterName", "MS Word 2007 XML"),))
        document.close(True)
    finally:
        office.terminate()
        office.wait(timeout=30)


if __name__ == "__main__":
    main()
