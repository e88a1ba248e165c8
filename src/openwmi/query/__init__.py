"""WQL: parser, formatter, LIKE matcher, validation, evaluation and planning.

Imports only openwmi.model, openwmi.errors and openwmi.constants (+ lark);
never asyncio.
"""

from ._ast import And as And
from ._ast import AssociatorsQuery as AssociatorsQuery
from ._ast import Comparison as Comparison
from ._ast import EventQuery as EventQuery
from ._ast import Expr as Expr
from ._ast import IsA as IsA
from ._ast import IsNull as IsNull
from ._ast import Not as Not
from ._ast import Or as Or
from ._ast import PropertyRef as PropertyRef
from ._ast import Query as Query
from ._ast import ReferencesQuery as ReferencesQuery
from ._ast import SchemaQuery as SchemaQuery
from ._ast import SelectQuery as SelectQuery
from ._format import format_expr as format_expr
from ._format import format_wql as format_wql
from ._like import LikePatternError as LikePatternError
from ._like import compile_like as compile_like
from ._like import like_match as like_match
from ._parser import MAX_NESTING as MAX_NESTING
from ._parser import MAX_PREDICATES as MAX_PREDICATES
from ._parser import parse_event_query as parse_event_query
from ._parser import parse_wql as parse_wql

__all__ = [
    "MAX_NESTING",
    "MAX_PREDICATES",
    "And",
    "AssociatorsQuery",
    "Comparison",
    "EventQuery",
    "Expr",
    "IsA",
    "IsNull",
    "LikePatternError",
    "Not",
    "Or",
    "PropertyRef",
    "Query",
    "ReferencesQuery",
    "SchemaQuery",
    "SelectQuery",
    "compile_like",
    "format_expr",
    "format_wql",
    "like_match",
    "parse_event_query",
    "parse_wql",
]
