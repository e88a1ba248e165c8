"""MOF: compile DSP0004 MOF into a ``MofTarget``, and pywbem ↔ openwmi converters.

Owns the MOF compiler front end (pywbem's ``MOFCompiler`` driven into a staging
repository, applied all at once), the standard qualifier declarations shipped
in ``schema/qualifiers.mof``, and the converters between pywbem's objects and
the openwmi model. Imports only openwmi.model, openwmi.errors,
openwmi.constants and pywbem; never the repository, the manager, the engine
or asyncio.
"""

from ._compiler import compile_mof as compile_mof
from ._compiler import compile_mof_files as compile_mof_files
from ._compiler import standard_qualifiers_mof as standard_qualifiers_mof
from ._target import ClassItem as ClassItem
from ._target import InstanceItem as InstanceItem
from ._target import MofItem as MofItem
from ._target import MofResult as MofResult
from ._target import MofTarget as MofTarget
from ._target import QualifierDeclItem as QualifierDeclItem

__all__ = [
    "ClassItem",
    "InstanceItem",
    "MofItem",
    "MofResult",
    "MofTarget",
    "QualifierDeclItem",
    "compile_mof",
    "compile_mof_files",
    "standard_qualifiers_mof",
]
