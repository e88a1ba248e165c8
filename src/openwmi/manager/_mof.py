"""The object manager as a MOF compilation target (``openwmi.mof.MofTarget``).

Owns ``ManagerMofTarget``: reads fall through to the repository; ``apply_mof``
writes every compiled item through the ordinary PutClass/PutInstance rules in
one repository transaction, so a failure leaves nothing behind. Imports mof,
model, errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WbemError

if TYPE_CHECKING:
    from ..model import CIMClass, QualifierDeclaration
    from ..mof import MofItem, MofResult
    from ._manager import ObjectManager

# openwmi.mof (and pywbem behind it) is imported on first use only: importing
# it costs ~0.6 s and ~20 MiB that plain queries never need.

__all__ = ["ManagerMofTarget", "compile_files_into", "compile_into"]


class ManagerMofTarget:
    def __init__(self, manager: ObjectManager) -> None:
        self.manager = manager

    def _exists(self, namespace: str) -> bool:
        return self.manager.repository.namespace_exists(namespace)

    def get_qualifier_declaration(
        self, namespace: str, name: str
    ) -> QualifierDeclaration | None:
        if not self._exists(namespace):
            return None
        return self.manager.repository.get_qualifier(namespace, name)

    def list_qualifier_declarations(self, namespace: str) -> list[QualifierDeclaration]:
        if not self._exists(namespace):
            return []
        return self.manager.repository.list_qualifiers(namespace)

    def get_class(self, namespace: str, name: str) -> CIMClass | None:
        if not self._exists(namespace):
            return None
        return self.manager.repository.get_class(namespace, name)

    def ensure_namespace(self, namespace: str) -> None:
        if not self._exists(namespace):
            self.manager.create_namespace(namespace)

    def apply_mof(self, namespace: str, items: list[MofItem]) -> None:
        from ..mof import ClassItem, InstanceItem, QualifierDeclItem

        mgr = self.manager
        with mgr.repository.transaction():
            for index, item in enumerate(items):
                try:
                    if isinstance(item, QualifierDeclItem):
                        mgr.put_qualifier(item.namespace, item.decl)
                    elif isinstance(item, ClassItem):
                        mgr.put_class(item.namespace, item.cls)
                    elif isinstance(item, InstanceItem):
                        mgr.put_instance(item.namespace, item.inst)
                except WbemError as exc:
                    exc.details["item"] = index
                    raise


def _counts(result: MofResult) -> dict[str, int]:
    return {
        "qualifiers": result.qualifiers,
        "classes": result.classes,
        "instances": result.instances,
    }


def compile_into(
    manager: ObjectManager, namespace: str, text: str, *, filename: str = "<string>"
) -> dict[str, int]:
    """Compile MOF text into ``namespace`` (all or nothing); counts of what was applied."""
    from ..mof import compile_mof

    result = compile_mof(
        text, ManagerMofTarget(manager), namespace=namespace, filename=filename
    )
    return _counts(result)


def compile_files_into(
    manager: ObjectManager, namespace: str, paths: list[Path]
) -> dict[str, int]:
    from ..mof import compile_mof_files

    result = compile_mof_files(
        [str(p) for p in paths],
        ManagerMofTarget(manager),
        namespace=namespace,
        search_paths=sorted({str(Path(p).parent) for p in paths}),
    )
    return _counts(result)
