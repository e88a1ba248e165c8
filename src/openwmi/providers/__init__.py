"""Providers: the plug-in framework, isolated provider hosts, and the built-in
Linux providers under WMI class names.

Owns the provider Protocols and capability declarations (``_protocol``),
discovery through the ``openwmi.providers`` entry point and the providers
config file (``_loader``), the isolated provider host (``_host``), the
start-up hook ``install_builtin`` (``_install``) and the built-in classes
(``builtin``). Imports model, query, errors and openwmi.mof; never the
repository, the manager, the engine, the client or socket.

Writing a provider takes a class with any of ``enumerate_instances(ctx,
classname)``, ``get_instance(ctx, path)``, ``put_instance(ctx, instance,
flags)``, ``delete_instance(ctx, path)``, ``invoke_method(ctx, path, method,
in_params)``; register it with ``svc.register_provider("My_Class", obj)``,
or publish it under the ``openwmi.providers`` entry point with a
``classes`` attribute (and optionally ``mof``, ``namespace``, ``hosting``).
"""

from ._host import IsolatedProvider as IsolatedProvider
from ._host import ProviderHost as ProviderHost
from ._install import InstallReport as InstallReport
from ._install import install_builtin as install_builtin
from ._loader import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from ._loader import LoadReport as LoadReport
from ._loader import ProviderSpec as ProviderSpec
from ._loader import default_config_path as default_config_path
from ._loader import load_providers as load_providers
from ._loader import read_config as read_config
from ._protocol import AssociationProvider as AssociationProvider
from ._protocol import Capabilities as Capabilities
from ._protocol import EventProvider as EventProvider
from ._protocol import Hosting as Hosting
from ._protocol import InstanceProvider as InstanceProvider
from ._protocol import MethodProvider as MethodProvider
from ._protocol import ProviderContext as ProviderContext
from ._protocol import QueryProvider as QueryProvider
from ._protocol import QuerySupport as QuerySupport
from ._protocol import capabilities_of as capabilities_of
from ._protocol import is_cancelled as is_cancelled
from ._protocol import report_progress as report_progress

__all__ = [
    "ENTRY_POINT_GROUP",
    "AssociationProvider",
    "Capabilities",
    "EventProvider",
    "Hosting",
    "InstallReport",
    "InstanceProvider",
    "IsolatedProvider",
    "LoadReport",
    "MethodProvider",
    "ProviderContext",
    "ProviderHost",
    "ProviderSpec",
    "QueryProvider",
    "QuerySupport",
    "capabilities_of",
    "default_config_path",
    "install_builtin",
    "is_cancelled",
    "load_providers",
    "read_config",
    "report_progress",
]
