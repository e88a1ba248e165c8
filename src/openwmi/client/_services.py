"""``Services``: the IWbemServices-style API (snake_case, one method per operation).

Owns the public synchronous API over a source of operations: today the
embedded object manager. Imports manager (embedded source), model, errors;
never server.

Every method validates its arguments before touching anything, raises a
``WbemError`` subclass on failure, and is safe to call from several threads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..errors import ShuttingDownError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..manager import ObjectManager
    from ..model import CIMClass, CIMInstance, ObjectPath

__all__ = ["Services"]


class Services:
    """A connection to one namespace of an object manager.

    Obtain one with :func:`openwmi.connect`. ``open_namespace`` gives further
    ``Services`` objects sharing the same object manager; ``close()`` on the
    connection that created the manager closes it for all of them.
    """

    def __init__(self, manager: ObjectManager, namespace: str, *, owner: bool) -> None:
        self._manager = manager
        self._namespace = manager.check_namespace(namespace)
        self._owner = owner
        self._closed = threading.Event()

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def manager(self) -> ObjectManager:
        self._check_open()
        return self._manager

    def close(self) -> None:
        """Release the connection (and the repository, for the connection that owns it)."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._owner:
            self._manager.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise ShuttingDownError("this connection is closed")

    def __repr__(self) -> str:
        return f"<openwmi.Services {self._namespace}>"

    # --- namespaces ----------------------------------------------------------------------
    def open_namespace(self, name: str, flags: int = 0) -> Services:
        """A connection to the child namespace ``name`` (``WBEM_E_INVALID_NAMESPACE``
        if it does not exist)."""
        self._check_open()
        target = self._manager.open_namespace(self._namespace, name, flags)
        return Services(self._manager, target, owner=False)

    # --- objects -------------------------------------------------------------------------
    def get_object(self, path: str | ObjectPath | None = None, flags: int = 0) -> Any:
        """GetObject: a class (``"Cls"``), an instance (``'Cls.Key="v"'``, ``"Cls=@"``),
        or an empty class object for an empty path.

        Raises:
            NotFoundError: no such class or instance.
            InvalidClassError: the instance path names an unknown class.
            InvalidObjectPathError: the path is malformed or its keys do not fit.
        """
        self._check_open()
        return self._manager.get_object(self._namespace, path, flags)

    def spawn_instance(self, classname: str, /, **values: Any) -> CIMInstance:
        """A new instance of ``classname`` with class defaults and ``values`` set
        (checked against the class; nothing is written)."""
        self._check_open()
        return self._manager.spawn_instance(self._namespace, classname, **values)

    def put_instance(self, instance: CIMInstance, flags: int = 0) -> str:
        """PutInstance; returns the instance's relative path (``Cls.Key="v"``)."""
        self._check_open()
        return self._manager.put_instance(self._namespace, instance, flags)

    def delete_instance(self, path: str | ObjectPath, flags: int = 0) -> None:
        self._check_open()
        self._manager.delete_instance(self._namespace, path, flags)

    def create_instance_enum(
        self, classname: str, flags: int = 0
    ) -> Iterator[CIMInstance]:
        """Instances of ``classname`` and (without WBEM_FLAG_SHALLOW) its subclasses.

        Validation errors (unknown class, bad flags) are raised here, at the call.
        """
        self._check_open()
        return self._manager.create_instance_enum(self._namespace, classname, flags)

    # --- classes -------------------------------------------------------------------------
    def put_class(self, cls: CIMClass, flags: int = 0) -> None:
        self._check_open()
        self._manager.put_class(self._namespace, cls, flags)

    def delete_class(self, name: str, flags: int = 0) -> None:
        self._check_open()
        self._manager.delete_class(self._namespace, name, flags)

    def create_class_enum(
        self, superclass: str | None = None, flags: int = 0
    ) -> Iterator[CIMClass]:
        self._check_open()
        return self._manager.create_class_enum(self._namespace, superclass, flags)

    # --- associations ----------------------------------------------------------------------
    def associators(
        self,
        path: str | ObjectPath,
        *,
        assoc_class: str | None = None,
        result_class: str | None = None,
        role: str | None = None,
        result_role: str | None = None,
    ) -> Iterator[CIMInstance]:
        self._check_open()
        return self._manager.associators(
            self._namespace,
            path,
            assoc_class=assoc_class,
            result_class=result_class,
            role=role,
            result_role=result_role,
        )

    def references(
        self,
        path: str | ObjectPath,
        *,
        result_class: str | None = None,
        role: str | None = None,
    ) -> Iterator[CIMInstance]:
        self._check_open()
        return self._manager.references(
            self._namespace, path, result_class=result_class, role=role
        )
