"""Render stage (Word): a procedure template prepared once per process, so that each document
costs only its own parts.

docxtpl, used as is, opens the template package again for every document, renders the whole
body (the generated body included) through Jinja, parses the result back, walks every table
and picture of it, and python-docx then serialises and compresses every part of the package
(styles, theme, numbering … that never change). Here, per process and template:

- the package is opened once; the parts no document changes are kept as compressed zip
  entries, written into every .docx as bytes;
- docxtpl's patched XML of the template body, headers and footers (and their compiled Jinja
  programs) are kept;

and per document:

- the template body is rendered with a marker comment where `{{p body }}` stands, parsed (a few
  KB) and finished (revision history fitted, codes kept whole, picture ids numbered, no blank
  last page) like before; the generated body, serialised once, replaces the marker in the
  serialised document;
- pictures become image parts named and related the way python-docx names and relates them.

The result is the .docx the docxtpl + python-docx path (`procedure.render_with_docxtpl`) writes,
byte for byte (tests/test_docx_frame.py); `prepare` and `render` send what this path does not handle
(a template with footnotes, a body docxtpl would rewrite) back to that path.
"""

from __future__ import annotations

import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.opc.pkgwriter import _ContentTypesItem
from docx.opc.rel import Relationships
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from lxml import etree
from markupsafe import Markup

from generator.write import FIXED_ZIP_TIME

# Where the generated body goes in the rendered template body: an XML comment no template
# text can produce (text is escaped; docxtpl keeps no comments of the template's own).
MARKER = "<!--wenkong:body-->"
_MARKER_BYTES = MARKER.encode()
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_DOC_PR = qn("wp:docPr")


# --- zip entries, compressed once when they never change ----------------------------------------

@dataclass(frozen=True)
class Entry:
    """A zip entry as Python's zipfile writes it (deflated, default level)."""

    name: str
    data: bytes  # deflated
    crc: int
    size: int

    @classmethod
    def of(cls, name: str, blob: bytes) -> Entry:
        # one call: the same stream as zipfile's compressor object (raw deflate, default
        # level), without setting one up per entry
        return cls(name, zlib.compress(blob, zlib.Z_DEFAULT_COMPRESSION, -15),
                   zlib.crc32(blob), len(blob))


_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


def write_zip(entries: Iterable[Entry]) -> bytes:
    """The bytes `zipfile.ZipFile(…, "w", ZIP_DEFLATED).writestr(ZipInfo(name, FIXED_ZIP_TIME),
    …)` writes for these entries (mode 0644, made on Unix), without compressing again."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for entry in entries:
        info = zipfile.ZipInfo(entry.name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 3
        info.CRC, info.compress_size, info.file_size = entry.crc, len(entry.data), entry.size
        header = info.FileHeader(False)
        name = entry.name.encode("ascii")  # part names are ASCII (zipfile flags others)
        dt = info.date_time
        central.append(_CENTRAL.pack(
            b"PK\001\002", info.create_version, info.create_system, info.extract_version, 0,
            info.flag_bits, info.compress_type, dt[3] << 11 | dt[4] << 5 | (dt[5] // 2),
            (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2], entry.crc, len(entry.data), entry.size,
            len(name), 0, 0, 0, 0, info.external_attr, offset) + name)
        out += (header, entry.data)
        offset += len(header) + len(entry.data)
    directory = b"".join(central)
    return b"".join((*out, directory, _END.pack(b"PK\005\006", 0, 0, len(central),
                                                 len(central), len(directory), offset, 0)))


# --- pictures, named and related as python-docx does ---------------------------------------------

@dataclass
class _ImagePart:
    partname: PackURI
    content_type: str
    blob: bytes
    sha1: str


@dataclass
class Media:
    """The story part a generated body is built against: records the pictures it adds.

    python-docx's `Run.add_picture` asks its part for `new_pic_inline`; this answers like the
    template's document part would (image part per distinct picture, numbered after the
    template's own, one relationship each) without touching the shared template package."""

    frame: Frame
    images: list[_ImagePart] = field(default_factory=list)
    rels: list[tuple[str, _ImagePart]] = field(default_factory=list)  # new rId, its image

    def new_pic_inline(self, image_descriptor: str | IO[bytes], width: Any = None,
                       height: Any = None) -> Any:
        image = Image.from_file(image_descriptor)
        part = self._image_part(image)
        rid = next((r for r, p in self.rels if p is part), None)
        if rid is None:
            rid = self.frame.template_image_rids.get(part.partname)
        if rid is None:
            used = self.frame.document_rids | {r for r, _ in self.rels}
            rid = next(f"rId{n}" for n in range(1, len(used) + 2) if f"rId{n}" not in used)
            self.rels.append((rid, part))
        cx, cy = image.scaled_dimensions(width, height)
        return CT_Inline.new_pic_inline(self.frame.next_shape_id, rid, image.filename, cx, cy)

    def get_style_id(self, style: Any, kind: Any) -> None:
        """python-docx asks when a table is added (no style: none); the body names styles
        by id itself."""
        if style is not None:
            raise TypeError("the generated body sets style ids itself")

    def _image_part(self, image: Image) -> _ImagePart:
        known = [*self.frame.template_images, *self.images]
        for part in known:
            if part.sha1 == image.sha1:
                return part
        used = [part.partname.idx for part in known]
        number = next((n for n in range(1, len(known) + 1) if n not in used), len(known) + 1)
        part = _ImagePart(PackURI(f"/word/media/image{number}.{image.ext}"),
                          image.content_type, image.blob, image.sha1)
        self.images.append(part)
        return part


# --- the template, once per process --------------------------------------------------------------

@dataclass
class _HeaderFooter:
    rid: str
    name: str  # zip member name
    xml: str  # docxtpl's patched XML
    encoding: str


@dataclass
class _Named:  # what python-docx's content types item reads of a part
    partname: PackURI
    content_type: str


@dataclass
class Frame:
    """A template's package, opened and patched once (see the module docstring)."""

    tpl: Any  # procedure._Template: docxtpl, for its XML clean-up and Jinja rendering
    namespaces: dict[str | None, str]  # those the template's document element declares
    body_xml: str
    headers: list[_HeaderFooter]
    properties: list[str]  # core properties docxtpl renders (their values are replaced)
    entries: list[Entry | str]  # zip entries in package order; a str: a per-document part
    images_at: int  # where pictures added by a document go among the entries
    parts: list[_Named]  # every part, in package order
    document_rels: Relationships
    document_rids: set[str]  # those python-docx numbered new relationships after
    template_images: list[_ImagePart]
    template_image_rids: dict[str, str]  # image part name → rId from the document part
    next_shape_id: int
    core_name: str
    document_name: str
    document_rels_name: str
    content_types: Entry
    document_rels_entry: Entry
    memo: dict[tuple[Any, ...], Entry] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


CONTENT_TYPES = "[Content_Types].xml"


def prepare(tpl: Any) -> Frame | None:
    """The frame of a freshly opened docxtpl template (`procedure._Template`), or None when
    the template has what this path does not render as docxtpl does: footnotes (docxtpl
    renders them too), `{{p body }}` inside a content control (codes are not kept whole
    there)."""
    from generator.render.docx import ooxml

    document = tpl.get_docx()
    package = document.part.package
    part = document.part
    if any(p.content_type == FOOTNOTES_TYPE for p in package.parts):
        return None
    body_xml = tpl.patch_xml(tpl.get_xml())
    if any(_in_content_control(p) for p in part.element.body.iter(qn("w:p"))):
        return None
    headers = []
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for rid, header in tpl.get_headers_footers(uri):
            xml = tpl.get_part_xml(header)
            headers.append(_HeaderFooter(rid, header.partname.membername, tpl.patch_xml(xml),
                                         tpl.get_headers_footers_encoding(xml)))
    properties = [getattr(document.core_properties, name) or "" for name in
                  ("author", "comments", "identifier", "language", "subject", "title")]
    # python-docx numbered new relationships before the old path dropped stale parts
    document_rids = set(part.rels.keys())
    next_shape_id = part.next_id
    ooxml.set_update_fields_on_open(document)
    ooxml.drop_stale_parts(document)
    core = package._core_properties_part  # (python-docx adds one when the template has none)
    template_images = [_ImagePart(p.partname, p.content_type, p.blob, p.sha1)
                       for p in package.image_parts]
    image_rids = {rel.target_part.partname: rid for rid, rel in part.rels.items()
                  if not rel.is_external and rel.reltype == RT.IMAGE}
    variable = {part.partname, core.partname}
    variable |= {PackURI("/" + h.name) for h in headers}
    entries: list[Entry | str] = [CONTENT_TYPES, Entry.of(PACKAGE_RELS, package.rels.xml)]
    parts: list[_Named] = []
    images_at = -1
    for p, document_done in _walk(package, part):
        if document_done:
            images_at = len(entries)
            continue
        p.before_marshal()
        parts.append(_Named(p.partname, p.content_type))
        name = p.partname.membername
        entries.append(name if p.partname in variable else Entry.of(name, p.blob))
        if len(p.rels):
            rels_name = p.partname.rels_uri.membername
            entries.append(rels_name if p is part else Entry.of(rels_name, p.rels.xml))
    return Frame(
        tpl=tpl, namespaces=dict(part.element.nsmap), body_xml=body_xml,
        headers=headers, properties=properties, entries=entries,
        images_at=images_at, parts=parts, document_rels=part.rels, document_rids=document_rids,
        template_images=template_images, template_image_rids=image_rids,
        next_shape_id=next_shape_id, core_name=core.partname.membername,
        document_name=part.partname.membername,
        document_rels_name=part.partname.rels_uri.membername,
        content_types=Entry.of(CONTENT_TYPES, _content_types(parts)),
        document_rels_entry=Entry.of(part.partname.rels_uri.membername,
                                     _bytes(part.rels.xml)))


PACKAGE_RELS = "_rels/.rels"


def _in_content_control(p: Any) -> bool:
    text = "".join(t.text or "" for t in p.iter(qn("w:t")))
    return "{{p" in text.replace(" ", "") and any(True for _ in p.iterancestors(qn("w:sdt")))


def _walk(package: Any, document_part: Any) -> Iterator[tuple[Any, bool]]:
    """python-docx's `OpcPackage.iter_parts` (depth first along the relationships), with one
    more step, `(document part, True)`, where the walk leaves the document part's subtree:
    relationships a document adds to its document part come last among them."""
    visited: list[Any] = []

    def walk(source: Any) -> Iterator[tuple[Any, bool]]:
        for rel in source.rels.values():
            if rel.is_external:
                continue
            target = rel.target_part
            if any(target is v for v in visited):
                continue
            visited.append(target)
            yield target, False
            yield from walk(target)
            if target is document_part:
                yield target, True

    yield from walk(package)


def _content_types(parts: list[_Named]) -> bytes:
    """[Content_Types].xml as python-docx writes it for these parts."""
    return bytes(_ContentTypesItem.from_parts(parts).blob)  # type: ignore[no-untyped-call]


def _bytes(xml: str | bytes) -> bytes:
    return xml.encode() if isinstance(xml, str) else xml


# --- one document ------------------------------------------------------------------------------


def render(frame: Frame, context: dict[str, Any], build: Callable[[int], Any], media: Media,
           environment: Any, finish: Callable[[Any, Any], None], core_xml: bytes) -> bytes | None:
    """The .docx of one document: the template's parts rendered with `context`, the body
    `build(number of the last picture before it)` writes (a body.Body) in place of
    `{{p body }}`, and `finish(rendered document element, body)` run on the rest of the
    document. None when the body holds what docxtpl would have rewritten (see `supported`):
    the caller renders it the docxtpl way."""
    with frame.lock:  # one document at a time in the template's document element
        return _render(frame, context, build, media, environment, finish, core_xml)


def _render(frame: Frame, context: dict[str, Any], build: Callable[[int], Any], media: Media,
            environment: Any, finish: Callable[[Any, Any], None],
            core_xml: bytes) -> bytes | None:
    tpl = frame.tpl
    xml = tpl.render_xml_part(frame.body_xml, tpl.docx._part, dict(context, body=Markup(MARKER)),
                             environment)
    tree = tpl.fix_tables(xml)
    marker, pictures = _marker_and_pictures(tree)
    if marker is None:  # no {{p body }} (a false condition around it), or more than one
        return None
    body = build(1000 + pictures.index(marker))
    if not supported(body.xml) or not supported(body.tail):
        return None
    number = 1000
    for picture in pictures:
        number += body.pictures if picture is marker else 1
        if picture is not marker:
            picture.attrib["id"] = str(number)
    if body.tail:
        # python-docx's parser: tables.trim_end uses its element classes
        holder = parse_xml(f"<w:body {declarations(tree)}>{body.tail}</w:body>")
        for paragraph in reversed(list(holder)):
            marker.addnext(paragraph)
    root = tpl.docx._element
    root.replace(root.body, tree)
    headers = []
    for header in frame.headers:
        text = tpl.render_xml_part(header.xml, None, context, environment)
        headers.append((header, parse_xml(text.encode(header.encoding))))
    for prop in frame.properties:
        environment.from_string(prop).render(context)
    finish(root, body)
    blobs = {header.name: serialize_part_xml(element) for header, element in headers}
    document = serialize_part_xml(root)
    at = document.index(_MARKER_BYTES)
    blobs[frame.document_name] = b"".join((document[:at], body.xml.encode(),
                                           document[at + len(_MARKER_BYTES):]))
    blobs[frame.core_name] = core_xml
    return write_zip(_entries(frame, blobs, media))


def _marker_and_pictures(tree: Any) -> tuple[Any, list[Any]]:
    """The marker comment (None unless there is exactly one), and every wp:docPr with the
    marker among them, in document order (docxtpl's `fix_docpr_ids` numbers pictures in that
    order from 1001)."""
    markers = []
    found = []
    for element in tree.iter(_DOC_PR, etree.Comment):
        if element.tag is etree.Comment:
            if element.text == _MARKER_TEXT:
                markers.append(element)
                found.append(element)
            continue
        found.append(element)
    return markers[0] if len(markers) == 1 else None, found


def declarations(element: Any) -> str:
    """The namespace declarations of `element`, as attributes of an element to parse."""
    return " ".join(f'xmlns:{prefix}="{uri}"' if prefix else f'xmlns="{uri}"'
                    for prefix, uri in element.nsmap.items())


def supported(body_xml: str) -> bool:
    """Whether docxtpl leaves the body's XML as it is: it rewrites tabs, line breaks, \\a and
    \\f (python-docx writes w:tab and w:br instead) and `{_{`-like escapes in rendered XML."""
    return not any(c in body_xml for c in "\t\n\a\f") and not any(
        s in body_xml for s in ("{_{", "}_}", "{_%", "%_}"))


def _entries(frame: Frame, blobs: dict[str, bytes], media: Media) -> Iterator[Entry]:
    new = [Entry.of(p.partname.membername, p.blob) for p in media.images]
    for index, entry in enumerate(frame.entries):
        if index == frame.images_at:
            yield from new
        if isinstance(entry, Entry):
            yield entry
        elif entry == CONTENT_TYPES:
            yield frame.content_types if not media.images else _memo(
                frame, ("types", *((p.partname, p.content_type) for p in media.images)),
                lambda: Entry.of(CONTENT_TYPES, _content_types(
                    [*frame.parts, *(_Named(p.partname, p.content_type)
                                     for p in media.images)])))
        elif entry == frame.document_rels_name:
            yield frame.document_rels_entry if not media.rels else _memo(
                frame, ("rels", *((rid, p.partname) for rid, p in media.rels)),
                lambda: Entry.of(frame.document_rels_name, _document_rels(frame, media)))
        else:
            yield Entry.of(entry, blobs[entry])
    if frame.images_at == len(frame.entries):
        yield from new


def _memo(frame: Frame, key: tuple[Any, ...], make: Callable[[], Entry]) -> Entry:
    """Entries that depend only on the pictures' names (most documents add the same)."""
    found = frame.memo.get(key)
    if found is None:
        if len(frame.memo) > 256:
            frame.memo.clear()
        found = frame.memo[key] = make()
    return found


def _document_rels(frame: Frame, media: Media) -> bytes:
    rels = Relationships(frame.document_rels._baseURI)
    for rid, rel in frame.document_rels.items():
        rels.add_relationship(rel.reltype, rel._target, rid, rel.is_external)
    for rid, image in media.rels:
        rels.add_relationship(RT.IMAGE, Part(image.partname, image.content_type), rid)
    return _bytes(rels.xml)


_MARKER_TEXT = MARKER[len("<!--"):-len("-->")]
