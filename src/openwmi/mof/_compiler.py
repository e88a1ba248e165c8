"""MOF compilation into a ``MofTarget``: pywbem's MOFCompiler, staged, applied at once.

Owns ``compile_mof``, ``compile_mof_files``, ``standard_qualifiers_mof`` and
the translation of every compiler failure into a ``WbemError`` whose message
reads ``file.mof:12:7: what went wrong`` followed by the source line and a
caret under the offending token. Imports openwmi.model, openwmi.errors and
pywbem; never the repository, the manager or asyncio.

Rule 1 — all or nothing. pywbem compiles into a ``StagingConnection``; the
target is read, never written, until the whole compilation succeeded; then
``MofTarget.ensure_namespace`` runs for each namespace written to and
``MofTarget.apply_mof`` gets every item at once, in source order.

Rule 2 — error codes (WMI's mofcomp reports ``WBEMMOF_E_*`` codes, which are
not WMI operation HRESULTs; we report the operation code for the same fault):

====================================  ======================================
fault                                 HRESULT
====================================  ======================================
lexical or grammar error, EOF,        WBEM_E_INVALID_SYNTAX
undefined alias, duplicate value,
conflicting flavors
unknown superclass                    WBEM_E_INVALID_SUPERCLASS
instance of an unknown class;         WBEM_E_INVALID_CLASS
unknown reference / EmbeddedInstance
class
undeclared property in an instance    WBEM_E_INVALID_PROPERTY
undeclared qualifier; qualifier out   WBEM_E_INVALID_PARAMETER
of its scope
value of the wrong type or range      WBEM_E_TYPE_MISMATCH
(instance values, defaults,
qualifier values); changed type of
an overriding property
changed DisableOverride qualifier     WBEM_E_OVERRIDE_NOT_ALLOWED
bad ``#pragma namespace``             WBEM_E_INVALID_NAMESPACE
``#pragma include`` file not found    WBEM_E_NOT_FOUND
include cycle, unreadable file        WBEM_E_INVALID_PARAMETER
errors of the target while reading    kept as raised, position added
====================================  ======================================

Rule 3 — quiet. pywbem's log function is None and verbose is off, so nothing
is printed; its warnings are not raised (none occur on this path).

Rule 4 — parser customisation is per compiler instance: the PLY productions
of *our* parser object get value-type checks (pywbem converts ``1.5`` to
``Uint8(1)`` and ``"abc"`` to ``True`` without complaint); no pywbem module
state is patched.
"""

from __future__ import annotations

import codecs
import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pywbem

from ..errors import (
    HResult,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidParameterError,
    InvalidPropertyError,
    NotFoundError,
    TypeMismatchError,
    WbemError,
    cim_status_to_hresult,
)
from ._source import Origin, innermost_origin, locate, origin_at_end
from ._staging import StagingConnection, StagingError, qualifier_hint
from ._target import ClassItem, InstanceItem, MofResult, QualifierDeclItem

if TYPE_CHECKING:
    from ._target import MofTarget

__all__ = ["compile_mof", "compile_mof_files", "standard_qualifiers_mof"]

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def standard_qualifiers_mof() -> str:
    """The MOF text declaring DSP0004's standard qualifiers and WMI's own."""
    return (SCHEMA_DIR / "qualifiers.mof").read_text(encoding="utf-8")


# --- raw value checks (Rule 4) ----------------------------------------------------

_INT_TYPES = frozenset(
    {"uint8", "sint8", "uint16", "sint16", "uint32", "sint32", "uint64", "sint64"}
)


def _raw_fits(cimtype: str, value: Any) -> bool:
    if value is None:
        return True
    if cimtype == "boolean":
        return isinstance(value, bool)
    if cimtype in _INT_TYPES:
        return isinstance(value, int) and not isinstance(value, bool)
    if cimtype in ("real32", "real64"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if cimtype == "reference":
        return isinstance(value, (str, pywbem.CIMInstanceName))
    if cimtype in ("string", "char16", "datetime"):
        return isinstance(value, str)
    return True


def _check_raw(cimtype: str, is_array: bool, raw: Any, where: str) -> str | None:
    """A complaint when the MOF literal ``raw`` does not fit, else None."""
    if raw is None:
        return None
    if isinstance(raw, list):
        if not is_array:
            return f"{where}: expected a single {cimtype}, got an array"
        bad = next((v for v in raw if not _raw_fits(cimtype, v)), None)
        if bad is not None:
            return f"{where}: {bad!r} is not a valid {cimtype}"
        return None
    if is_array:
        return f"{where}: expected an array of {cimtype}"
    if not _raw_fits(cimtype, raw):
        return f"{where}: {raw!r} is not a valid {cimtype}"
    return None


Rule = Callable[[Any], None]


def _wrap_instance(original: Rule) -> Rule:
    def p_instance_checked(p: Any) -> None:
        original(p)
        inst = p[0][0]
        raw_props = next(
            x for x in p[1:] if isinstance(x, list) and x and isinstance(x[0], tuple)
        )
        for _quals, name, raw in raw_props:
            prop = inst.properties.get(name)
            if prop is None or prop.embedded_object:
                continue
            complaint = _check_raw(
                prop.type, bool(prop.is_array), raw, f"{inst.classname}.{prop.name}"
            )
            if complaint:
                raise StagingError(
                    TypeMismatchError(complaint),
                    rf"\b{re.escape(name)}\s*=\s*([^;]+?)\s*;",
                )

    return p_instance_checked


def _wrap_qualifier(original: Rule) -> Rule:
    def p_qualifier_checked(p: Any) -> None:
        original(p)
        if len(p) not in (3, 5):  # no value given: the declared default applies
            return
        qual = p[0]
        ns = p.parser.target_namespace or p.parser.handle.default_namespace
        decl = p.parser.qualcache[ns][qual.name]
        raw = p[2]
        if decl.is_array and not isinstance(raw, list):
            qual.value = [qual.value]  # Values("x") for a string[] qualifier
            raw = [raw]
        complaint = _check_raw(
            decl.type, bool(decl.is_array), raw, f"qualifier {decl.name}"
        )
        if complaint:
            raise StagingError(TypeMismatchError(complaint), qualifier_hint(qual.name))

    return p_qualifier_checked


def _wrap_default(original: Rule, is_array: bool) -> Rule:
    def p_default_checked(p: Any) -> None:
        original(p)
        prop = p[0]
        complaint = _check_raw(
            prop.type, is_array, p[len(p) - 2], f"default of property {prop.name}"
        )
        if complaint:
            raise StagingError(TypeMismatchError(complaint), r"=\s*([^;]+?)\s*;")

    return p_default_checked


_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r"}


def _char16(literal: str) -> str:
    """The character of a MOF char16 literal (``'A'``, ``'\\n'``, ``'\\x41'``)."""
    body = literal[1:-1]
    if not body.startswith("\\"):
        return body
    esc = body[1:]
    if esc[:1] in "xX" and len(esc) > 1:
        return chr(int(esc[1:], 16))
    return _ESCAPES.get(esc, esc)


def _wrap_constant(original: Rule) -> Rule:
    # pywbem keeps the quotes of a char16 literal ("'A'"); unquote it here.
    def p_constant_checked(p: Any) -> None:
        original(p)
        if p.slice[1].type == "charValue" and isinstance(p[0], str):
            p[0] = _char16(p[0])

    return p_constant_checked


def _wmi_namespace(param: str) -> str:
    """``\\\\.\\root\\cimv2`` / ``root\\cimv2`` (WMI spelling) → ``root/cimv2``."""
    ns = param.replace("\\", "/")
    if ns.startswith("//./"):
        ns = ns[4:]
    return ns


def _wrap_directive(original: Rule) -> Rule:
    # WMI MOF writes #pragma namespace("\\\\.\\root\\cimv2"); pywbem takes only
    # "root/cimv2". The local server prefix and backslashes are rewritten.
    def p_directive_checked(p: Any) -> None:
        if str(p[3]).lower() == "namespace" and isinstance(p[5], str):
            p[5] = _wmi_namespace(p[5])
        original(p)

    return p_directive_checked


_WRAPPERS: dict[str, Callable[[Rule], Rule]] = {
    "p_compilerDirective": _wrap_directive,
    "p_constantValue": _wrap_constant,
    "p_instanceDeclaration": _wrap_instance,
    "p_qualifier": _wrap_qualifier,
    "p_propertyDeclaration_2": lambda f: _wrap_default(f, False),
    "p_propertyDeclaration_4": lambda f: _wrap_default(f, True),
    "p_propertyDeclaration_6": lambda f: _wrap_default(f, False),
    "p_propertyDeclaration_8": lambda f: _wrap_default(f, True),
}


# --- the compiler -------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")  # WMI's own MOF files are often UTF-16
    return data.decode("utf-8-sig")


class _Compiler(pywbem.MOFCompiler):  # type: ignore[misc]  # pywbem is untyped
    """pywbem's compiler with tracked positions, include checks and value checks."""

    def __init__(self, handle: StagingConnection, search_paths: list[str]) -> None:
        super().__init__(handle, search_paths=search_paths, log_func=None)
        self._including: list[str] = []
        for prod in self.parser.productions:
            wrap = _WRAPPERS.get(getattr(prod, "func", None) or "")
            if wrap is not None and prod.callable is not None:
                prod.callable = wrap(prod.callable)

    def compile_string(
        self, mof: str, ns: str | None, filename: str | None = None
    ) -> Any:
        # pywbem's compile_string, with tracking=True so that every production
        # knows the offset of its first token (error positions).
        lexer = self.lexer.clone()
        lexer.parser = self.parser
        old_file = getattr(self.parser, "file", None)
        old_mof = getattr(self.parser, "mof", None)
        self.parser.file = filename
        self.parser.mof = mof
        ns = ns or self.handle.default_namespace
        self.parser.target_namespace = ns
        self.parser.qualcache.setdefault(ns, pywbem.NocaseDict())
        self.parser.classnames.setdefault(ns, [])
        result = self.parser.parse(mof, lexer=lexer, tracking=True)
        self.parser.file = old_file
        self.parser.mof = old_mof
        return result

    def compile_file(self, filename: str, ns: str | None) -> Any:
        path = filename
        if not os.path.isfile(path):
            base = os.path.basename(path)
            found = self.find_mof(base[:-4]) if base.lower().endswith(".mof") else None
            if found is None:
                raise StagingError(
                    NotFoundError(f"MOF file {filename!r} not found"),
                    r"include\s*\(\s*(\"[^\"]*\")",
                )
            path = found
        real = os.path.realpath(path)
        if real in self._including:
            raise StagingError(
                InvalidParameterError(f"MOF file {filename!r} includes itself"),
                r"include\s*\(\s*(\"[^\"]*\")",
            )
        try:
            text = _decode(Path(path).read_bytes())
        except (OSError, UnicodeDecodeError) as exc:
            raise StagingError(
                InvalidParameterError(f"cannot read MOF file {filename!r}: {exc}"),
                r"include\s*\(\s*(\"[^\"]*\")",
            ) from exc
        self._including.append(real)
        try:
            return self.compile_string(text, ns, filename=path)
        finally:
            self._including.pop()


# --- error translation (Rule 2) ------------------------------------------------------


def _quoted(msg: str, after: str) -> str | None:
    m = re.search(after + r"\s+'([^']*)'", msg, re.I)
    return m.group(1) if m else None


def _classify(
    exc: BaseException, rule_name_is_error: bool
) -> tuple[WbemError, str | None, bool]:
    """(error, hint regex, use last match) for a compiler failure."""
    if isinstance(exc, StagingError):
        return exc.error, exc.hint, False
    if isinstance(exc, pywbem.MOFRepositoryError):
        ce = exc.cim_error
        if isinstance(ce, StagingError):
            return ce.error, ce.hint, False
        code = cim_status_to_hresult(getattr(ce, "status_code", 1))
        return (
            WbemError.of(code, str(getattr(ce, "status_description", exc.msg))),
            None,
            False,
        )
    if isinstance(exc, pywbem.MOFDependencyError):
        return _classify_dependency(exc.msg)
    if isinstance(exc, pywbem.MOFParseError):
        return _classify_parse(exc.msg or "", rule_name_is_error)
    if isinstance(exc, (ValueError, TypeError)):
        return TypeMismatchError(f"invalid value: {exc}"), None, False
    assert isinstance(exc, pywbem.Error)
    return WbemError.of(HResult.WBEM_E_FAILED, str(exc)), None, False


def _classify_dependency(msg: str) -> tuple[WbemError, str | None, bool]:
    if "superclass" in msg:
        sup = _quoted(msg, "superclass") or "?"
        cls = re.search(r"class (?:\S*:)?(\w+) because", msg)
        name = cls.group(1) if cls else "?"
        return (
            WbemError.of(
                HResult.WBEM_E_INVALID_SUPERCLASS,
                f"superclass {sup} of class {name} does not exist",
            ),
            rf":\s*({re.escape(sup)})\b",
            False,
        )
    if "qualifier declaration does not exist" in msg:
        q = _quoted(msg, "qualifier") or "?"
        return InvalidParameterError(f"qualifier {q} is not declared"), None, False
    if "its class does not exist" in msg:
        c = _quoted(msg, "instance of") or "?"
        return (
            InvalidClassError(f"class {c} does not exist"),
            rf"\bof\s+({re.escape(c)})\b",
            False,
        )
    if "is not declared in the class" in msg:
        c = _quoted(msg, "instance of") or "?"
        prop = _quoted(msg, "property") or "?"
        return (
            InvalidPropertyError(f"property {prop} is not declared in class {c}"),
            rf"\b({re.escape(prop)})\s*=",
            False,
        )
    return InvalidParameterError(msg), None, False


def _classify_parse(msg: str, from_p_error: bool) -> tuple[WbemError, str | None, bool]:
    syntax = HResult.WBEM_E_INVALID_SYNTAX
    if from_p_error:
        if msg.startswith("Illegal character"):
            return WbemError.of(syntax, f"syntax error: {msg.lower()}"), None, False
        return WbemError.of(syntax, "syntax error"), None, False
    if "Unexpected end of MOF" in msg:
        return WbemError.of(syntax, "syntax error: unexpected end of file"), None, False
    if "invalid value" in msg or "array mismatch" in msg:
        prop = _quoted(msg, "property") or ""
        hint = rf"\b{re.escape(prop)}\s*=\s*([^;]+?)\s*;" if prop else None
        reason = msg.rsplit(": ", 1)[-1] if ": " in msg else "invalid value"
        return TypeMismatchError(f"property {prop}: {reason}"), hint, False
    if "more than once" in msg:
        prop = _quoted(msg, "property") or "?"
        return (
            WbemError.of(syntax, f"property {prop} is given more than once"),
            rf"\b({re.escape(prop)})\s*=",
            True,
        )
    if "alias" in msg:
        alias = _quoted(msg, "alias") or "?"
        return (
            WbemError.of(syntax, f"alias {alias} is not defined before this point"),
            rf"({re.escape(alias)})\b",
            False,
        )
    if "pragma namespace" in msg:
        return (
            InvalidNamespaceError(
                '#pragma namespace takes a namespace name such as "root/cimv2"'
            ),
            r"\(\s*(\"[^\"]*\")",
            False,
        )
    return WbemError.of(syntax, msg), None, False


def _token_text(origin: Origin) -> str:
    return origin.text[origin.pos : origin.pos + origin.length]


def _translate(exc: BaseException, compiler: _Compiler) -> WbemError | None:
    """The located WbemError for ``exc``, or None when it is not a compile failure."""
    if not isinstance(exc, (pywbem.Error, WbemError, ValueError, TypeError)):
        return None
    found, origin = innermost_origin(exc.__traceback__)
    if isinstance(exc, (ValueError, TypeError)) and not found:
        return None  # not raised by the grammar: a bug, let it propagate
    if isinstance(exc, WbemError):
        return locate(exc, origin)
    from_p_error = found and _innermost_rule(exc) == "p_error"
    err, hint, last = _classify(exc, from_p_error)
    if hint is None and isinstance(exc, (ValueError, TypeError)):
        rule = _innermost_rule(exc) or ""
        if rule.startswith("p_propertyDeclaration"):
            hint = r"=\s*([^;]+?)\s*;"  # a default value pywbem could not convert
    what = err.message
    if origin is None and found:
        parser = compiler.parser
        mof = getattr(parser, "mof", None)
        if isinstance(mof, str):
            origin = origin_at_end(mof, getattr(parser, "file", None))
            what = "syntax error: unexpected end of file"
    elif origin is not None:
        origin = origin.refine(hint, last=last)
        if from_p_error and "illegal" not in what:
            what = f"syntax error: unexpected {_token_text(origin)!r}"
    return locate(err, origin, what)


def _innermost_rule(exc: BaseException) -> str | None:
    tb = exc.__traceback__
    name = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name.startswith("p_"):
            name = code.co_name
        tb = tb.tb_next
    return name


# --- the session --------------------------------------------------------------------


class _Session:
    def __init__(
        self,
        target: MofTarget,
        namespace: str,
        search_paths: Iterable[str | os.PathLike[str]],
        standard_qualifiers: bool,
    ) -> None:
        if not namespace.strip("/\\"):
            raise InvalidNamespaceError(f"invalid namespace {namespace!r}")
        self.target = target
        self.namespace = namespace
        paths = [os.fspath(p) for p in search_paths]
        if standard_qualifiers:
            # pywbem reads qualifiers.mof from the search path when the namespace
            # declares no qualifier at all; ours is last so the caller's wins.
            paths.append(str(SCHEMA_DIR))
        self.conn = StagingConnection(target, namespace)
        self.compiler = _Compiler(self.conn, paths)

    def run(self, step: Callable[[_Compiler], Any]) -> None:
        try:
            step(self.compiler)
        except (pywbem.Error, WbemError, ValueError, TypeError) as exc:
            err = _translate(exc, self.compiler)
            if err is None:
                raise
            raise err from exc

    def apply(self) -> MofResult:
        items = self.conn.items
        counts = {QualifierDeclItem: 0, ClassItem: 0, InstanceItem: 0}
        namespaces: list[str] = []
        for item in items:
            counts[type(item)] += 1
            if item.namespace not in namespaces:
                namespaces.append(item.namespace)
        if items:
            for ns in namespaces:
                self.target.ensure_namespace(ns)
            try:
                self.target.apply_mof(self.namespace, list(items))
            except WbemError as exc:
                index = exc.details.get("item")
                if isinstance(index, int) and 0 <= index < len(items):
                    origin = self.conn.origins[index]
                    if origin is not None:
                        raise locate(exc, origin) from exc
                raise
        return MofResult(
            qualifiers=counts[QualifierDeclItem],
            classes=counts[ClassItem],
            instances=counts[InstanceItem],
            namespaces=tuple(namespaces),
        )


def compile_mof(
    text: str,
    target: MofTarget,
    *,
    namespace: str,
    filename: str = "<string>",
    search_paths: Sequence[str | os.PathLike[str]] = (),
    standard_qualifiers: bool = True,
) -> MofResult:
    """Compile MOF text into ``target``, all or nothing.

    Args:
        text: DSP0004 MOF (qualifier declarations, classes, instances, aliases,
            ``#pragma include`` / ``#pragma namespace``).
        target: where the result goes (read during, written after compilation).
        namespace: the namespace until a ``#pragma namespace`` changes it.
        filename: the name used in error messages; ``#pragma include`` paths are
            relative to its directory (the working directory for ``<string>``).
        search_paths: directories searched (recursively) for an include file
            that is not found, and for ``<Class>.mof`` when a superclass is
            missing.
        standard_qualifiers: when a namespace declares no qualifier at all,
            declare the standard set (``standard_qualifiers_mof()``) first.

    Returns:
        Counts of the qualifier declarations, classes and instances applied.

    Raises:
        WbemError: the MOF is wrong; the message reads ``file:line:column:
            what`` plus a caret snippet, ``details`` has ``file``, ``line``,
            ``column``, ``reason`` and ``snippet``; the HRESULT follows the
            table in this module's docstring (``WBEM_E_INVALID_SYNTAX``,
            ``InvalidClassError``, ``TypeMismatchError`` …). The target is
            unchanged.
        WbemError: whatever ``target.apply_mof`` raised (then nothing was
            applied either).
    """
    if not isinstance(text, str):
        raise InvalidParameterError(f"MOF text must be str, got {type(text).__name__}")
    session = _Session(target, namespace, search_paths, standard_qualifiers)
    session.run(lambda c: c.compile_string(text, namespace, filename=filename))
    return session.apply()


def _compile_file(path: str, namespace: str, compiler: _Compiler) -> Any:
    return compiler.compile_file(path, namespace)


def compile_mof_files(
    paths: Iterable[str | os.PathLike[str]],
    target: MofTarget,
    *,
    namespace: str,
    search_paths: Sequence[str | os.PathLike[str]] = (),
    standard_qualifiers: bool = True,
) -> MofResult:
    """Compile MOF files, in order, into ``target`` as one all-or-nothing unit.

    Each file starts in ``namespace``; aliases carry over from one file to the
    next. See ``compile_mof`` for the arguments and errors; a file that does
    not exist raises ``NotFoundError``.
    """
    files = [os.fspath(p) for p in paths]
    session = _Session(target, namespace, search_paths, standard_qualifiers)
    for f in files:
        if not os.path.isfile(f):
            raise NotFoundError(f"MOF file {f!r} not found", file=f)
    for f in files:
        session.run(functools.partial(_compile_file, f, namespace))
    return session.apply()
